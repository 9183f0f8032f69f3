// A model directory: model.safetensors (PyTorch state_dict names) + config.json (PyTorch constructor
// argument names, plus whatever the task adds: vocabulary, scaler, head). Both files are written
// atomically, weights first, so a crash leaves either the old pair or a new weights file next to the
// old config — never a half-written file.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.IO;

/// <summary>Saves and loads a module's parameters and its JSON configuration as a model directory.</summary>
public static class Checkpoint
{
    public const string WeightsFileName = "model.safetensors";
    public const string ConfigFileName = "config.json";

    /// <summary>The weights file of a model directory.</summary>
    public static string WeightsPath(string directory) => Path.Combine(directory, WeightsFileName);

    /// <summary>The config file of a model directory.</summary>
    public static string ConfigPath(string directory) => Path.Combine(directory, ConfigFileName);

    /// <summary>Writes <paramref name="model"/>'s parameters and <paramref name="config"/> into
    /// <paramref name="directory"/> (created if missing).</summary>
    public static void Save<T>(string directory, Module<T> model, JsonObject config) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Directory.CreateDirectory(directory);
        var parameters = model.NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Tensor));
        // "format": "pt" is what safetensors.torch.save_file writes, so PyTorch tooling recognises the file.
        SafeTensors.Write(WeightsPath(directory), parameters, new Dictionary<string, string> { ["format"] = "pt" });
        ConfigJson.WriteFile(ConfigPath(directory), config);
    }

    /// <summary>Reads config.json of a model directory.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">config.json is missing.</exception>
    /// <exception cref="InvalidDataException">config.json is not a JSON object.</exception>
    public static JsonObject ReadConfig(string directory)
    {
        CheckDirectory(directory);
        string path = ConfigPath(directory);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: not found (a model directory holds {WeightsFileName} and {ConfigFileName}).", path);
        return ConfigJson.ReadFile(path);
    }

    /// <summary>Reads config.json and checks that it describes a model of <paramref name="task"/>
    /// (its <c>"task"</c> field); returns the config and its path for error messages.</summary>
    /// <param name="directory">the model directory</param>
    /// <param name="task">the expected task name, e.g. "forecast"</param>
    /// <param name="what">the kind of model in words, for the error ("a forecaster")</param>
    /// <exception cref="InvalidDataException">The config is of another task (the message names both).</exception>
    public static (JsonObject Config, string Source) ReadTaskConfig(string directory, string task, string what)
    {
        var config = ReadConfig(directory);
        string src = ConfigPath(directory);
        string found = ConfigJson.GetString(config, "task", src, "");
        if (found != task)
            throw new InvalidDataException($"{src}: this is a '{(found.Length == 0 ? "unknown" : found)}' model, not {what} (task '{task}').");
        return (config, src);
    }

    /// <summary>Reads all tensors of model.safetensors.</summary>
    public static Dictionary<string, Tensor<T>> ReadWeights<T>(string directory) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckDirectory(directory);
        string path = WeightsPath(directory);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: not found (a model directory holds {WeightsFileName} and {ConfigFileName}).", path);
        return SafeTensors.Read<T>(path).Tensors;
    }

    /// <summary>Copies the weights of <paramref name="directory"/> into <paramref name="model"/>. Every
    /// parameter must be present with its shape, and no other tensor may be (a sign the config does not
    /// describe these weights).</summary>
    /// <exception cref="InvalidDataException">Missing, extra or misshaped tensor; the message names the file and tensor.</exception>
    public static void LoadWeights<T>(string directory, Module<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var weights = ReadWeights<T>(directory);
        try
        {
            model.LoadStateDict(weights, strict: true);
        }
        catch (InvalidDataException ex)
        {
            string detail = ex.Message.StartsWith("state dict: ", StringComparison.Ordinal) ? ex.Message["state dict: ".Length..] : ex.Message;
            throw new InvalidDataException($"{WeightsPath(directory)} does not match {ConfigFileName}: {detail}", ex);
        }
    }

    /// <summary>Loads the weights into <paramref name="model"/> and returns the config.</summary>
    public static JsonObject Load<T>(string directory, Module<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var config = ReadConfig(directory);
        LoadWeights(directory, model);
        return config;
    }

    private static void CheckDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            if (File.Exists(directory))
                throw new DirectoryNotFoundException($"{directory}: is a file; a model is a directory holding {WeightsFileName} and {ConfigFileName}.");
            throw new DirectoryNotFoundException($"{directory}: model directory not found.");
        }
    }
}
