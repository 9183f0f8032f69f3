// Class names ↔ indices for sequence classification. Classes are sorted (ordinal) so the same label
// set always gives the same indices, whatever order the rows come in.
using System.Text.Json.Nodes;

namespace Recurrent.Data;

/// <summary>Maps class names to indices 0..C−1 (sorted ordinally), like scikit-learn's LabelEncoder.</summary>
public sealed class LabelEncoder
{
    private readonly string[] _classes;
    private readonly Dictionary<string, int> _index;

    /// <summary>An encoder for exactly these classes, in this order.</summary>
    /// <exception cref="ArgumentException">Fewer than two classes, or a class repeated.</exception>
    public LabelEncoder(IReadOnlyList<string> classes)
    {
        _classes = classes.ToArray();
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _classes.Length; i++)
            if (!_index.TryAdd(_classes[i], i)) throw new ArgumentException($"labels: class '{_classes[i]}' appears twice.");
        if (_classes.Length < 2) throw new ArgumentException($"labels: a classifier needs at least two classes, got {_classes.Length}.");
    }

    /// <summary>Learns the classes from labels (surrounding spaces are trimmed).</summary>
    /// <param name="labels">one label per row</param>
    /// <param name="what">names the data in errors, e.g. "train.csv, column 'label'"</param>
    /// <exception cref="InvalidDataException">A label is empty, or all labels are the same class.</exception>
    public static LabelEncoder Fit(IReadOnlyList<string> labels, string what)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            string l = labels[i].Trim();
            if (l.Length == 0) throw new InvalidDataException($"{what}: row {i + 1} has an empty label.");
            set.Add(l);
        }
        if (set.Count < 2)
            throw new InvalidDataException(set.Count == 0
                ? $"{what}: there are no labels."
                : $"{what}: every row has the label '{set.Min}'; a classifier needs at least two classes.");
        return new LabelEncoder(set.ToList());
    }

    /// <summary>Number of classes C.</summary>
    public int Count => _classes.Length;

    /// <summary>Class names by index.</summary>
    public IReadOnlyList<string> Classes => _classes;

    /// <summary>The index of a class name (trimmed).</summary>
    /// <exception cref="KeyNotFoundException">The label was not seen when fitting.</exception>
    public int Encode(string label)
        => _index.TryGetValue(label.Trim(), out int i) ? i : throw new KeyNotFoundException($"label '{label}' is not one of the trained classes ({string.Join(", ", _classes)}).");

    /// <summary>The class name of an index.</summary>
    public string Decode(int index) => _classes[index];

    /// <summary>JSON array of class names (stored in the checkpoint config).</summary>
    public JsonArray ToJson() => new(_classes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray());

    /// <summary>Reads the JSON array form.</summary>
    /// <exception cref="InvalidDataException">Not an array of at least two distinct strings.</exception>
    public static LabelEncoder FromJson(JsonNode? node)
    {
        if (node is not JsonArray a) throw new InvalidDataException("config: 'classes' must be an array of strings.");
        try { return new LabelEncoder(a.Select(v => v!.GetValue<string>()).ToList()); }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or ArgumentException or FormatException)
        { throw new InvalidDataException($"config: 'classes' must hold at least two distinct strings ({e.Message})."); }
    }
}
