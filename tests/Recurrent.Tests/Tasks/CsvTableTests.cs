using Recurrent.Data;

namespace Recurrent.Tests.Tasks;

public class CsvTableTests
{
    [Fact]
    public void ParsesQuotedFieldsWithCommasQuotesAndNewlines()
    {
        var t = CsvTable.Parse("id,text,label\r\n1,\"a, b\",x\r\n2,\"say \"\"hi\"\"\nthere\",y\r\n3,plain,z\r\n", "t.csv");
        Assert.Equal(["id", "text", "label"], t.Header);
        Assert.Equal(3, t.RowCount);
        Assert.Equal("a, b", t.Cell(0, 1));
        Assert.Equal("say \"hi\"\nthere", t.Cell(1, 1));
        Assert.Equal(2, t.LineOf(0));
        Assert.Equal(3, t.LineOf(1));
        Assert.Equal(5, t.LineOf(2));   // the quoted newline moved row 3 down one line
    }

    [Fact]
    public void NumericColumnParsesInvariantNumbers()
    {
        var t = CsvTable.Parse("a,b\n1.5, -2e3\n0,+4\n", "t.csv");
        Assert.Equal([-2000.0, 4.0], t.Numeric("b"));
        Assert.Equal([1.5, 0.0], t.Numeric("a"));
    }

    [Fact]
    public void MissingColumnListsTheColumns()
    {
        var t = CsvTable.Parse("time,Load\n1,2\n", "energy.csv");
        var ex = Assert.Throws<InvalidDataException>(() => t.Numeric("load"));
        Assert.Contains("energy.csv", ex.Message);
        Assert.Contains("no column 'load'", ex.Message);
        Assert.Contains("did you mean 'Load'", ex.Message);
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,abc\n", "line 3, column 'b'", "'abc' is not a number")]
    [InlineData("a,b\n1,2\n3,\n", "line 3, column 'b'", "empty cell")]
    [InlineData("a,b\n1,NaN\n3,4\n", "line 2, column 'b'", "NaN or infinite")]
    [InlineData("a,b\n1,-inf\n", "line 2, column 'b'", "NaN or infinite")]
    [InlineData("a,b\n1,1e400\n", "line 2, column 'b'", "infinite")]
    [InlineData("a,b\n1,\"2,5\"\n", "line 2, column 'b'", "decimal separator")]
    public void BadCellsNameFileLineAndColumn(string csv, string where, string what)
    {
        var t = CsvTable.Parse(csv, "data.csv");
        var ex = Assert.Throws<InvalidDataException>(() => t.Numeric("b"));
        Assert.Contains("data.csv: " + where, ex.Message);
        Assert.Contains(what, ex.Message);
    }

    [Theory]
    [InlineData("a,b\n1,2,3\n", "line 2: 3 fields, but the header has 2")]
    [InlineData("a,b\n1,\"2\n", "line 2: quoted field 2 is never closed")]
    [InlineData("a,b\n1,2\"x\n", "line 2: field 2 contains a quote")]
    [InlineData("a,b\n1,\"2\"x\n", "line 2: field 2 has text after its closing quote")]
    [InlineData("a,a\n1,2\n", "column name 'a' appears twice")]
    [InlineData("a,,c\n1,2,3\n", "column 2 of the header has no name")]
    public void MalformedCsvIsRejectedWithLine(string csv, string message)
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Parse(csv, "f.csv"));
        Assert.Contains(message, ex.Message);
        Assert.StartsWith("f.csv: ", ex.Message);
    }

    [Fact]
    public void BlankLinesAreSkippedInMultiColumnFilesAndTrailingOnesInSingleColumnFiles()
    {
        Assert.Equal(2, CsvTable.Parse("a,b\n1,2\n\n3,4\n\n", "f.csv").RowCount);
        var single = CsvTable.Parse("x\n1\n\n2\n\n\n", "f.csv");
        Assert.Equal(3, single.RowCount);  // the middle blank line is an empty cell ...
        var ex = Assert.Throws<InvalidDataException>(() => single.Numeric("x"));
        Assert.Contains("line 3, column 'x': empty cell", ex.Message);   // ... and reported as such
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => CsvTable.Load(Path.Combine(Path.GetTempPath(), "no-such-dir-xyz", "x.csv")));
        Assert.Contains("x.csv", ex.Message);
    }

    [Fact]
    public void FormatRecordQuotesOnlyWhenNeeded()
    {
        Assert.Equal("a,\"b,c\",\"d\"\"e\"", CsvTable.FormatRecord(["a", "b,c", "d\"e"]));
        var back = CsvTable.Parse("h1,h2,h3\n" + CsvTable.FormatRecord(["a", "b,c", "d\"e"]), "x");
        Assert.Equal("d\"e", back.Cell(0, 2));
    }
}
