// The CLI frame: exit codes, one-line errors, help, progress output.
using Recurrent.Cli;

namespace Recurrent.Tests.Cli;

public class CliFrameTests
{
    [Fact]
    public void Help_lists_the_verbs_and_exits_zero()
    {
        var r = CliRunner.Run("--help").AssertOk();
        Assert.Contains("train", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Unknown_verb_is_a_usage_error()
    {
        var r = CliRunner.Run("frobnicate");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.Contains("frobnicate", r.Stderr);
        Assert.Contains("--help", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void No_verb_is_a_usage_error()
    {
        var r = CliRunner.Run();
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
    }

    [Fact]
    public void Train_help_lists_its_usage()
    {
        var r = CliRunner.Run("train", "--help").AssertOk();
        Assert.Contains("train", r.Stdout);
    }

    [Fact]
    public void Help_usage_names_the_program_recurrent_whatever_the_executable()
    {
        var r = CliRunner.Run("train", "lm", "--help").AssertOk();
        Assert.Contains("Usage:" + Environment.NewLine + "  recurrent train lm [options]", r.Stdout.Replace("\r\n", "\n").Replace("\n", Environment.NewLine));
        Assert.DoesNotContain("  " + System.CommandLine.RootCommand.ExecutableName + " ", r.Stdout);
    }

    [Theory]
    [InlineData("  Recurrent.Cli train [options]", "  recurrent train [options]")]
    [InlineData("  Recurrent.Cli", "  recurrent")]
    [InlineData("  Recurrent.Client x", "  Recurrent.Client x")]          // a longer word is left alone
    [InlineData("Recurrent.Cli train", "Recurrent.Cli train")]            // only the indented usage line
    [InlineData("  --seed <seed>  Recurrent.Cli", "  --seed <seed>  Recurrent.Cli")]
    public void Program_name_writer_renames_only_the_usage_line(string line, string expected)
    {
        var sink = new StringWriter();
        using (var w = new ProgramNameWriter(sink, "Recurrent.Cli")) { w.WriteLine(line); w.Write("tail"); }
        Assert.Equal(expected + Environment.NewLine + "tail", sink.ToString().Replace("\r\n", "\n").Replace("\n", Environment.NewLine));
    }

    [Fact]
    public void User_error_is_one_line_exit_1()
    {
        var err = new StringWriter();
        int code = CliErrors.Run(err, () => throw new UserErrorException("bad value for --foo\nsecond line"), debug: false);
        Assert.Equal(1, code);
        Assert.Equal("error: bad value for --foo second line" + Environment.NewLine, err.ToString());
    }

    [Fact]
    public void Usage_exception_exits_2()
    {
        var err = new StringWriter();
        Assert.Equal(2, CliErrors.Run(err, () => throw new UsageException("--a and --b exclude each other"), debug: false));
        Assert.StartsWith("error: --a and --b", err.ToString());
    }

    [Theory]
    [InlineData(typeof(InvalidDataException))]
    [InlineData(typeof(FileNotFoundException))]
    [InlineData(typeof(DirectoryNotFoundException))]
    [InlineData(typeof(IOException))]
    public void File_errors_are_user_errors(Type type)
    {
        var err = new StringWriter();
        var ex = (Exception)Activator.CreateInstance(type, "x.npy: broken")!;
        Assert.Equal(1, CliErrors.Run(err, () => throw ex, debug: false));
        Assert.Equal("error: x.npy: broken" + Environment.NewLine, err.ToString());
    }

    [Fact]
    public void Bug_is_exit_3_with_hint_and_no_stack_trace()
    {
        var err = new StringWriter();
        int code = CliErrors.Run(err, () => throw new InvalidOperationException("oops"), debug: false);
        Assert.Equal(ExitCodes.InternalError, code);
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("oops", lines[0]);
        Assert.Contains("RECURRENT_DEBUG=1", lines[1]);
        Assert.DoesNotContain("   at ", err.ToString());
    }

    [Fact]
    public void Bug_with_debug_prints_stack_trace()
    {
        var err = new StringWriter();
        int code = CliErrors.Run(err, () => Throw(), debug: true);
        Assert.Equal(ExitCodes.InternalError, code);
        Assert.Contains("   at ", err.ToString());

        static int Throw() => throw new InvalidOperationException("oops");
    }

    [Fact]
    public void Cancellation_exits_130()
    {
        var err = new StringWriter();
        Assert.Equal(ExitCodes.Cancelled, CliErrors.Run(err, () => throw new OperationCanceledException(), debug: false));
    }

    [Fact]
    public void Progress_plain_prints_one_line_per_decile()
    {
        var w = new StringWriter();
        double t = 0;
        var p = new ProgressReporter(w, terminal: false, quiet: false, () => t);
        p.Start("epoch", 100);
        for (int i = 1; i <= 100; i++) { t += 0.01; p.Update(i, "loss 1.0"); }
        p.Finish("done");
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, lines.Length); // first step, 10%, 20%, ..., 100%, summary
        Assert.DoesNotContain("\r", w.ToString());
        Assert.Contains("1% 1/100", lines[0]);
        Assert.Contains("100% 100/100", lines[10]);
        Assert.Equal("done", lines[11].Trim());
    }

    [Fact]
    public void Progress_terminal_redraws_in_place_and_is_throttled()
    {
        var w = new StringWriter();
        double t = 0;
        var p = new ProgressReporter(w, terminal: true, quiet: false, () => t);
        p.Start("train", 1000);
        for (int i = 1; i <= 1000; i++) { t += 0.001; p.Update(i); } // 1 s total → about 10 redraws
        p.Message("epoch 1 loss 2.0");
        p.Finish();
        string s = w.ToString();
        int redraws = s.Count(c => c == '\r');
        Assert.InRange(redraws, 5, 30);
        Assert.Contains("[########################] 100% 1000/1000", s);
        Assert.Contains("epoch 1 loss 2.0\n", s.Replace("\r\n", "\n"));
    }

    [Fact]
    public void Progress_quiet_prints_nothing()
    {
        var w = new StringWriter();
        var p = new ProgressReporter(w, terminal: true, quiet: true);
        p.Start("x", 10);
        p.Update(5, "s");
        p.Message("m");
        p.Finish("f");
        Assert.Equal("", w.ToString());
    }
}
