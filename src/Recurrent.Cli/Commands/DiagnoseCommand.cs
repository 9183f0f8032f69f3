// `recurrent diagnose`: a container verb for looking inside models (subcommands, one line each).
using System.CommandLine;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>diagnose</c> verb and its subcommands (gradients).</summary>
public static class DiagnoseCommand
{
    public static Command Create(CliContext ctx)
    {
        var diagnose = new Command("diagnose", "Look inside recurrent models (subcommands: gradients).");
        diagnose.Subcommands.Add(DiagnoseGradientsCommand.Create(ctx));
        diagnose.SetAction(parse =>
        {
            CliApp.WriteHelp(parse, ctx.Error);
            return ExitCodes.Usage;
        });
        return diagnose;
    }
}
