// The options most verbs share, declared once so names, defaults and validation are the same everywhere:
// --seed, --threads, --out, --quiet.
using System.CommandLine;

namespace Recurrent.Cli;

/// <summary>Shared options. Create with <see cref="AddTo"/>, read with the getters inside the action:
/// <code>
/// var common = CommonOptions.AddTo(cmd, outDefault: "runs/lm");
/// cmd.SetAction(r => { var seed = common.GetSeed(r); common.ApplyThreads(r); var progress = ctx.Progress(common.GetQuiet(r)); ... });
/// </code></summary>
public sealed class CommonOptions
{
    public const ulong DefaultSeed = 42;

    public Option<ulong>? Seed { get; private init; }
    public Option<int>? Threads { get; private init; }
    public Option<string>? Out { get; private init; }
    public Option<bool>? Quiet { get; private init; }

    /// <summary>Adds the selected shared options to <paramref name="command"/>.</summary>
    /// <param name="outDefault">Default output directory; null makes <c>--out</c> required.</param>
    public static CommonOptions AddTo(Command command, bool seed = true, bool threads = true, bool @out = true, bool quiet = true,
        string? outDefault = null)
    {
        var o = new CommonOptions
        {
            Seed = seed ? new Option<ulong>("--seed") { Description = "Random seed; the same seed and thread count give identical results.", DefaultValueFactory = _ => DefaultSeed } : null,
            Threads = threads ? new Option<int>("--threads") { Description = "Worker threads for the math kernels.", DefaultValueFactory = _ => 1 } : null,
            Out = @out ? new Option<string>("--out") { Description = "Output directory (config.json, model.safetensors, metrics).", Required = outDefault is null } : null,
            Quiet = quiet ? new Option<bool>("--quiet", "-q") { Description = "No progress output on stderr." } : null,
        };
        if (o.Out is not null && outDefault is not null) o.Out.DefaultValueFactory = _ => outDefault;
        if (o.Threads is not null)
        {
            o.Threads.Validators.Add(r =>
            {
                int t = r.GetValueOrDefault<int>();
                if (t < 1 || t > 256) r.AddError($"--threads must be between 1 and 256 (got {t}).");
            });
            command.Options.Add(o.Threads);
        }
        if (o.Seed is not null) command.Options.Add(o.Seed);
        if (o.Out is not null) command.Options.Add(o.Out);
        if (o.Quiet is not null) command.Options.Add(o.Quiet);
        return o;
    }

    public ulong GetSeed(ParseResult r) => Seed is null ? DefaultSeed : r.GetValue(Seed);

    public int GetThreads(ParseResult r) => Threads is null ? 1 : r.GetValue(Threads);

    public string GetOut(ParseResult r) => Out is null ? throw new InvalidOperationException("--out was not added to this command.") : r.GetValue(Out)!;

    public bool GetQuiet(ParseResult r) => Quiet is not null && r.GetValue(Quiet);

    /// <summary>Sets the kernel thread count from <c>--threads</c> (process-wide) and returns it.</summary>
    public int ApplyThreads(ParseResult r)
    {
        int threads = GetThreads(r);
        // Process-wide setting; written only on change so concurrent in-process runs (tests) do not fight over it.
        if (Recurrent.Kernels.Parallelism.Threads != threads) Recurrent.Kernels.Parallelism.Threads = threads;
        return threads;
    }
}
