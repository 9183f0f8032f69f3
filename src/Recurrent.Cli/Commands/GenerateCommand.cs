// `recurrent generate`: continue a prefix with a trained language model (char or word level), greedy or
// sampled (temperature, top-k, top-p). Text on stdout; nothing else.
using System.CommandLine;
using System.Text;
using Recurrent.Data;
using Recurrent.Generation;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

/// <summary>The <c>generate</c> verb.</summary>
public static class GenerateCommand
{
    public static Command Create(CliContext ctx)
    {
        var model = new Option<string>("--model") { Description = "A `train lm` run directory (uses best/) or a model directory.", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "Text to start from (the state is warmed up on it).", Required = true };
        var length = new Option<int>("--length") { Description = "Tokens to generate.", DefaultValueFactory = _ => 100 };
        length.Validators.Add(r => { int v = r.GetValueOrDefault<int>(); if (v < 0 || v > 10_000_000) r.AddError($"--length must be between 0 and 10000000 (got {v})."); });
        var temperature = new Option<double?>("--temperature") { Description = "0 = greedy (default); > 0 samples from softmax(logits / t) (default 1 with --top-k/--top-p)." };
        var topK = new Option<int>("--top-k") { Description = "Sample only among the k most likely tokens (0 = all).", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Sample only within the smallest set of tokens with probability ≥ p (1 = all).", DefaultValueFactory = _ => 1.0 };
        var cmd = new Command("generate", "Generate text with a trained language model.") { model, prefix, length, temperature, topK, topP };
        var common = CommonOptions.AddTo(cmd, @out: false, quiet: false);

        cmd.SetAction(r =>
        {
            Kernels.Parallelism.Threads = common.ApplyThreads(r);
            int k = r.GetValue(topK);
            double p = r.GetValue(topP);
            double? t = r.GetValue(temperature);
            if (t == 0 && (k > 0 || p < 1)) throw new UsageException("--top-k and --top-p choose among tokens to sample; they need --temperature > 0.");
            var options = new SamplingOptions(t ?? (k > 0 || p < 1 ? 1.0 : 0.0), k, p);
            try { options.Validate(); }
            catch (ArgumentException ex) { throw new UsageException(ex.Message); }

            string dir = ResolveModelDirectory(r.GetValue(model)!);
            var bundle = LanguageModelCheckpoint.Load(dir);
            string text = r.GetValue(prefix)!;
            int[] ids = EncodePrefix(text, bundle);
            var generated = TextGenerator.Generate(bundle.Model, ids, r.GetValue(length), options, new Rng(common.GetSeed(r)));

            var tokens = bundle.Vocabulary.Decode(generated);
            string continuation = Tokenizer.Detokenize(tokens, bundle.Level);
            string joined = bundle.Level == TokenLevel.Word && generated.Length > 0 ? text.TrimEnd() + " " + continuation : text + continuation;
            ctx.Out.WriteLine(joined);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A run directory's best/ (else last/), or the directory itself when it holds a model.</summary>
    public static string ResolveModelDirectory(string path)
    {
        if (File.Exists(IO.Checkpoint.ConfigPath(path))) return path;
        foreach (var sub in new[] { LanguageModelRun.BestDir, LanguageModelRun.LastDir })
        {
            string d = Path.Combine(path, sub);
            if (File.Exists(IO.Checkpoint.ConfigPath(d))) return d;
        }
        return path;                                                    // Checkpoint.Load names what is missing
    }

    /// <summary>The prefix as token ids; a token the model does not know is an error naming it.</summary>
    public static int[] EncodePrefix(string text, LanguageModelBundle bundle)
    {
        var vocab = bundle.Vocabulary;
        if (text.Length == 0) throw new UsageException("--prefix is empty; give at least one " + (bundle.Level == TokenLevel.Char ? "character." : "word."));
        if (bundle.Level == TokenLevel.Char)
        {
            // Characters are taken verbatim (no preprocessing), so what the user typed is what the model sees.
            var ids = new List<int>();
            int position = 0;
            foreach (var rune in text.EnumerateRunes())
            {
                position++;
                string ch = rune.ToString();
                if (!vocab.Contains(ch) || ch == Vocabulary.UnknownToken)
                {
                    string hint = bundle.Prep == TextPrep.D2l
                        ? $"; the model was trained with --prep d2l (lower-case a–z and space only){D2lSuggestion(text)}"
                        : $"; the model knows {vocab.Count} characters";
                    throw new UserErrorException($"--prefix: character '{Vocabulary.Escape(ch)}' (U+{rune.Value:X4}) at position {position} is not in the model's vocabulary{hint}.");
                }
                ids.Add(vocab.IndexOf(ch));
            }
            return [.. ids];
        }
        var words = Tokenizer.Tokenize(text, bundle.Prep, TokenLevel.Word);
        if (words.Count == 0) throw new UserErrorException($"--prefix: no words left after --prep {bundle.Prep.ToString().ToLowerInvariant()}.");
        var result = new int[words.Count];
        for (int i = 0; i < words.Count; i++)
        {
            if (!vocab.Contains(words[i]))
                throw new UserErrorException($"--prefix: word '{Vocabulary.Escape(words[i])}' (word {i + 1}) is not in the model's vocabulary of {vocab.Count} words.");
            result[i] = vocab.IndexOf(words[i]);
        }
        return result;
    }

    private static string D2lSuggestion(string text)
    {
        var sb = new StringBuilder();
        foreach (var line in Tokenizer.SplitLines(text)) sb.Append(Tokenizer.CleanD2lLine(line));
        string s = sb.ToString();
        return s.Length > 0 ? $"; try --prefix \"{s}\"" : "";
    }
}
