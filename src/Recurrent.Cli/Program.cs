// Entry point of the `recurrent` command-line tool.
return Recurrent.Cli.CliApp.Run(args);
