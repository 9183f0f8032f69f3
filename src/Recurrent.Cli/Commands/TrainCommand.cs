// `recurrent train`: a container verb. Each task owner adds ONE line registering its subcommand;
// `train` alone runs the embedded sine forecaster once its owner sets the action below.
using System.CommandLine;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>train</c> verb and its subcommands (lm, forecast, classify, adding, copy).</summary>
public static class TrainCommand
{
    public static Command Create(CliContext ctx)
    {
        var train = new Command("train", "Train a model (subcommands: lm, forecast, classify, adding, copy); without a subcommand, the forecaster on the built-in noisy sine.");
        // Subcommands, one line each:
        // train.Subcommands.Add(TrainLmCommand.Create(ctx));
        train.Subcommands.Add(TrainLmCommand.Create(ctx));
        train.Subcommands.Add(TrainForecastCommand.Create(ctx));
        train.Subcommands.Add(TrainClassifyCommand.Create(ctx));
        train.Subcommands.Add(TrainLongMemoryCommand.Create(ctx, Recurrent.Training.LongMemory.LongMemoryTask.Adding));
        train.Subcommands.Add(TrainLongMemoryCommand.Create(ctx, Recurrent.Training.LongMemory.LongMemoryTask.Copy));

        // Without a subcommand: the forecaster on the built-in noisy sine (the README's main job).
        TrainForecastCommand.ConfigureSineDefault(train, ctx);
        return train;
    }
}
