// RecurrentConfig: PyTorch argument names and defaults, contradictions, and stack save → load.
using System.Text.Json.Nodes;
using Recurrent.IO;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Tests.Support;

namespace Recurrent.Tests.IO;

public class RecurrentConfigTests
{
    private static RecurrentConfig Parse(string json) => RecurrentConfig.FromJson(ConfigJson.Parse(json, "config.json"), "config.json");

    [Fact]
    public void Defaults_follow_PyTorch()
    {
        var c = Parse("""{"mode": "GRU", "input_size": 3, "hidden_size": 5}""");
        Assert.Equal(new RecurrentConfig(RecurrentMode.Gru, 3, 5, NumLayers: 1, Bias: true, BatchFirst: false, Dropout: 0, Bidirectional: false), c);
    }

    [Theory]
    [InlineData("LSTM", null, RecurrentMode.Lstm)]
    [InlineData("lstm", "tanh", RecurrentMode.Lstm)]
    [InlineData("GRU", null, RecurrentMode.Gru)]
    [InlineData("RNN_TANH", "tanh", RecurrentMode.RnnTanh)]
    [InlineData("RNN_RELU", null, RecurrentMode.RnnRelu)]
    [InlineData("RNN", null, RecurrentMode.RnnTanh)]
    [InlineData("RNN", "relu", RecurrentMode.RnnRelu)]
    public void Modes_parse(string mode, string? nonlinearity, RecurrentMode expected)
    {
        var o = new JsonObject { ["mode"] = mode, ["input_size"] = 2, ["hidden_size"] = 3 };
        if (nonlinearity is not null) o["nonlinearity"] = nonlinearity;
        Assert.Equal(expected, RecurrentConfig.FromJson(o, "c.json").Mode);
    }

    [Fact]
    public void Json_round_trip_for_every_mode()
    {
        foreach (var mode in Enum.GetValues<RecurrentMode>())
        {
            var c = new RecurrentConfig(mode, 3, 7, 2, Bias: false, BatchFirst: true, Dropout: 0.25, Bidirectional: true);
            var json = c.ToJson();
            Assert.Equal(c, RecurrentConfig.FromJson(ConfigJson.Parse(json.ToJsonString(), "c.json"), "c.json"));
        }
        Assert.Equal("relu", new RecurrentConfig(RecurrentMode.RnnRelu, 1, 1).ToJson()["nonlinearity"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"input_size": 3, "hidden_size": 5}""", "missing field 'mode'")]
    [InlineData("""{"mode": "TRANSFORMER", "input_size": 3, "hidden_size": 5}""", "field 'mode' must be one of")]
    [InlineData("""{"mode": "LSTM", "hidden_size": 5}""", "missing field 'input_size'")]
    [InlineData("""{"mode": "LSTM", "input_size": 0, "hidden_size": 5}""", "'input_size' = 0 is out of range")]
    [InlineData("""{"mode": "LSTM", "input_size": "3", "hidden_size": 5}""", "'input_size' must be an integer")]
    [InlineData("""{"mode": "LSTM", "input_size": 3, "hidden_size": 5, "dropout": 1.5}""", "'dropout' = 1.5 is out of range")]
    [InlineData("""{"mode": "LSTM", "input_size": 3, "hidden_size": 5, "batch_first": "yes"}""", "'batch_first' must be true or false")]
    [InlineData("""{"mode": "RNN_TANH", "input_size": 3, "hidden_size": 5, "nonlinearity": "relu"}""", "contradicts nonlinearity")]
    [InlineData("""{"mode": "GRU", "input_size": 3, "hidden_size": 5, "nonlinearity": "relu"}""", "contradicts nonlinearity")]
    [InlineData("""{"mode": "RNN", "input_size": 3, "hidden_size": 5, "nonlinearity": "sigmoid"}""", "'nonlinearity' must be")]
    [InlineData("""{"mode": "LSTM", "input_size": 3, "hidden_size": 5, "proj_size": 2}""", "proj_size")]
    public void Bad_fields_give_one_clear_line(string json, string fragment)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Parse(json));
        Assert.StartsWith("config.json: ", ex.Message);
        Assert.Contains(fragment, ex.Message);
    }

    [Fact]
    public void Stack_save_then_LoadStack_round_trips_exactly()
    {
        using var dir = new TempDir();
        var config = new RecurrentConfig(RecurrentMode.Lstm, 3, 4, NumLayers: 2, BatchFirst: true, Bidirectional: true);
        var stack = config.CreateStack<float>(new Rng(11));
        Checkpoint.Save(dir.Path, stack, config.ToJson());
        var (back, loaded) = RecurrentConfig.LoadStack<float>(dir.Path);
        Assert.Equal(config, back);
        Assert.False(loaded.Training);
        foreach (var ((n1, t1), (n2, t2)) in stack.NamedParameters().Zip(loaded.NamedParameters()))
        {
            Assert.Equal(n1, n2);
            Assert.Equal(t1.ToArray(), t2.ToArray());
        }
    }

    private sealed class TaskModel : Module<float>
    {
        public TaskModel(RecurrentConfig c, Rng rng)
        {
            Rnn = RegisterModule("rnn", c.CreateStack<float>(rng));
            RegisterModule("head", new Linear<float>(c.HiddenSize * c.NumDirections, 2, rng));
        }

        public RecurrentStack<float> Rnn { get; }
    }

    [Fact]
    public void LoadStack_reads_a_task_model_with_a_nested_rnn_config()
    {
        using var dir = new TempDir();
        var config = new RecurrentConfig(RecurrentMode.Lstm, 3, 4, Bidirectional: true);
        var model = new TaskModel(config, new Rng(8));
        Checkpoint.Save(dir.Path, model, new JsonObject { ["task"] = "classify", ["rnn"] = config.ToJson(), ["classes"] = 2 });
        var (back, stack) = RecurrentConfig.LoadStack<float>(dir.Path);
        Assert.Equal(config, back);
        foreach (var ((_, t1), (_, t2)) in model.Rnn.NamedParameters().Zip(stack.NamedParameters()))
            Assert.Equal(t1.ToArray(), t2.ToArray());

        var json = ConfigJson.ReadFile(Checkpoint.ConfigPath(dir.Path));
        json["rnn"]!["hidden_size"] = 5;
        ConfigJson.WriteFile(Checkpoint.ConfigPath(dir.Path), json);
        var ex = Assert.Throws<InvalidDataException>(() => RecurrentConfig.LoadStack<float>(dir.Path));
        Assert.Contains("hidden_size=5", ex.Message);
        Assert.Contains("(names under 'rnn.')", ex.Message);

        json.Remove("rnn");
        ConfigJson.WriteFile(Checkpoint.ConfigPath(dir.Path), json);
        Assert.Contains("missing field 'mode'", Assert.Throws<InvalidDataException>(() => RecurrentConfig.LoadStack<float>(dir.Path)).Message);
    }

    [Fact]
    public void LoadStack_with_prefix_takes_only_the_stack_tensors()
    {
        using var dir = new TempDir();
        var config = new RecurrentConfig(RecurrentMode.Gru, 2, 3);
        var stack = config.CreateStack<float>(new Rng(5));
        var tensors = stack.NamedParameters().Select(p => KeyValuePair.Create("rnn." + p.Name, p.Tensor))
            .Append(KeyValuePair.Create("head.weight", new Tensor<float>(4, 3))).ToList();
        SafeTensors.Write(Checkpoint.WeightsPath(dir.Path), tensors);
        ConfigJson.WriteFile(Checkpoint.ConfigPath(dir.Path), config.WriteTo(new JsonObject { ["task"] = "classify" }));
        var (_, loaded) = RecurrentConfig.LoadStack<float>(dir.Path, "rnn.");
        Assert.Equal(stack.Parameters().Last().ToArray(), loaded.Parameters().Last().ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => RecurrentConfig.LoadStack<float>(dir.Path));
        Assert.Contains("does not match config.json GRU(input_size=2, hidden_size=3", ex.Message);
    }
}
