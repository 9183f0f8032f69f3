// Model directories: exact round trips, atomic writes, and one clear error per kind of mismatch.
using System.Text.Json.Nodes;
using Recurrent.IO;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.IO;

public class CheckpointTests
{
    private sealed class TwoLayer : Module<float>
    {
        public TwoLayer(Rng rng, int hidden = 5)
        {
            RegisterModule("encoder", new Linear<float>(3, hidden, rng));
            RegisterModule("head", new Linear<float>(hidden, 2, rng, bias: false));
        }
    }

    [Fact]
    public void Save_then_load_round_trips_exactly()
    {
        using var dir = new TempDir();
        var model = new TwoLayer(new Rng(1));
        var config = new JsonObject { ["task"] = "test", ["hidden"] = 5, ["vocab"] = new JsonArray("a", "b") };
        Checkpoint.Save(dir.Path, model, config);

        var other = new TwoLayer(new Rng(2));
        var loaded = Checkpoint.Load(dir.Path, other);
        foreach (var ((n1, t1), (n2, t2)) in model.NamedParameters().Zip(other.NamedParameters()))
        {
            Assert.Equal(n1, n2);
            Assert.Equal(t1.ToArray(), t2.ToArray());
        }
        Assert.True(JsonNode.DeepEquals(config, loaded));
        Assert.Equal(["encoder.weight", "encoder.bias", "head.weight"],
            SafeTensors.ReadHeader(Checkpoint.WeightsPath(dir.Path)).Entries.Select(e => e.Name));
        Assert.Equal("pt", SafeTensors.ReadHeader(Checkpoint.WeightsPath(dir.Path)).Metadata["format"]);
        Assert.Equal(2, Directory.GetFiles(dir.Path).Length); // no temporary files left
    }

    [Fact]
    public void Saving_again_replaces_the_files()
    {
        using var dir = new TempDir();
        Checkpoint.Save(dir.Path, new TwoLayer(new Rng(1)), new JsonObject { ["v"] = 1 });
        var second = new TwoLayer(new Rng(9));
        Checkpoint.Save(dir.Path, second, new JsonObject { ["v"] = 2 });
        var check = new TwoLayer(new Rng(3));
        Assert.Equal(2, (int)Checkpoint.Load(dir.Path, check)["v"]!);
        Assert.Equal(second.Parameters().First().ToArray(), check.Parameters().First().ToArray());
    }

    [Fact]
    public void Missing_tensor_names_file_and_tensor()
    {
        using var dir = new TempDir();
        Checkpoint.Save(dir.Path, new Linear<float>(3, 5, new Rng(1), bias: false), new JsonObject());
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(dir.Path, new Linear<float>(3, 5, new Rng(1))));
        Assert.Contains("model.safetensors does not match config.json", ex.Message);
        Assert.Contains("missing tensor 'bias'", ex.Message);
    }

    [Fact]
    public void Extra_tensor_is_rejected()
    {
        using var dir = new TempDir();
        Checkpoint.Save(dir.Path, new Linear<float>(3, 5, new Rng(1)), new JsonObject());
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(dir.Path, new Linear<float>(3, 5, new Rng(1), bias: false)));
        Assert.Contains("unexpected tensor 'bias'", ex.Message);
    }

    [Fact]
    public void Misshaped_tensor_names_both_shapes()
    {
        using var dir = new TempDir();
        Checkpoint.Save(dir.Path, new Linear<float>(3, 5, new Rng(1)), new JsonObject());
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(dir.Path, new Linear<float>(3, 6, new Rng(1))));
        Assert.Contains("'weight'", ex.Message);
        Assert.Contains("[5, 3]", ex.Message);
        Assert.Contains("[6, 3]", ex.Message);
    }

    [Fact]
    public void Missing_config_missing_dir_and_bad_config_json()
    {
        using var dir = new TempDir();
        Checkpoint.Save(dir.Path, new Linear<float>(3, 5, new Rng(1)), new JsonObject());
        File.Delete(Checkpoint.ConfigPath(dir.Path));
        var ex = Assert.Throws<FileNotFoundException>(() => Checkpoint.ReadConfig(dir.Path));
        Assert.Contains("config.json", ex.Message);

        File.WriteAllText(Checkpoint.ConfigPath(dir.Path), "{\n  \"a\": 1,\n  \"b\": }\n");
        var bad = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadConfig(dir.Path));
        Assert.Contains("config.json: not valid JSON at line 3", bad.Message);

        File.WriteAllText(Checkpoint.ConfigPath(dir.Path), "[1]");
        Assert.Contains("JSON object", Assert.Throws<InvalidDataException>(() => Checkpoint.ReadConfig(dir.Path)).Message);

        Assert.Throws<DirectoryNotFoundException>(() => Checkpoint.ReadConfig(Path.Combine(dir.Path, "nope")));
        Assert.Throws<DirectoryNotFoundException>(() => Checkpoint.ReadConfig(Checkpoint.WeightsPath(dir.Path)));
        File.Delete(Checkpoint.WeightsPath(dir.Path));
        Assert.Contains("model.safetensors", Assert.Throws<FileNotFoundException>(() => Checkpoint.ReadWeights<float>(dir.Path)).Message);
    }

    [Fact]
    public void Atomic_write_leaves_the_old_file_when_the_writer_fails()
    {
        using var dir = new TempDir();
        string path = dir.File("f.txt");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("partial"u8);
            throw new InvalidOperationException("crash");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
        AtomicFile.WriteAllText(dir.File("sub/new.txt"), "new");
        Assert.Equal("new", File.ReadAllText(dir.File("sub/new.txt")));
    }

    [Fact]
    public void ConfigJson_fields_give_clear_errors()
    {
        var o = ConfigJson.Parse("""{"n": 3, "f": 2.0, "x": 2.5, "s": "a", "b": true, "neg": -1}""", "c.json");
        Assert.Equal(3, ConfigJson.GetInt(o, "n", "c.json"));
        Assert.Equal(2, ConfigJson.GetInt(o, "f", "c.json"));
        Assert.Equal(7, ConfigJson.GetInt(o, "missing", "c.json", 7));
        Assert.Equal("a", ConfigJson.GetString(o, "s", "c.json"));
        Assert.True(ConfigJson.GetBool(o, "b", "c.json"));
        Assert.Equal(2.5, ConfigJson.GetDouble(o, "x", "c.json"));
        Assert.Equal("c.json: field 'x' must be an integer, found 2.5.", Assert.Throws<InvalidDataException>(() => ConfigJson.GetInt(o, "x", "c.json")).Message);
        Assert.Equal("c.json: missing field 'q' (an integer).", Assert.Throws<InvalidDataException>(() => ConfigJson.GetInt(o, "q", "c.json")).Message);
        Assert.Contains("out of range", Assert.Throws<InvalidDataException>(() => ConfigJson.GetInt(o, "neg", "c.json", min: 1)).Message);
        Assert.Contains("must be true or false", Assert.Throws<InvalidDataException>(() => ConfigJson.GetBool(o, "s", "c.json")).Message);
        Assert.Contains("must be a string", Assert.Throws<InvalidDataException>(() => ConfigJson.GetString(o, "n", "c.json")).Message);

        // Objects built in memory (not parsed) hold CLR values; they read the same.
        var built = new JsonObject { ["n"] = 3, ["l"] = 4L, ["d"] = 0.5, ["f"] = 2.0, ["x"] = 2.5f };
        Assert.Equal(3, ConfigJson.GetInt(built, "n", "c"));
        Assert.Equal(4, ConfigJson.GetInt(built, "l", "c"));
        Assert.Equal(2, ConfigJson.GetInt(built, "f", "c"));
        Assert.Equal(0.5, ConfigJson.GetDouble(built, "d", "c"));
        Assert.Equal(3.0, ConfigJson.GetDouble(built, "n", "c"));
        Assert.Throws<InvalidDataException>(() => ConfigJson.GetInt(built, "x", "c"));
    }
}
