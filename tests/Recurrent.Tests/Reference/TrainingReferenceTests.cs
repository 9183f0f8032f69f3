// Five optimizer steps on a small LSTM tagger (nn.LSTM "lstm" + nn.Linear "head" on every step, mean
// cross-entropy) against PyTorch's trajectory: the loss before each step, the first step's gradients,
// the gradient norm before clipping, the loss after training and the final parameters.
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Optim;
using Recurrent.Tensors;
using Xunit.Abstractions;

namespace Recurrent.Tests.Reference;

public class TrainingReferenceTests(ITestOutputHelper log)
{
    /// <summary>The fixture's model: PyTorch names "lstm.*" and "head.*".</summary>
    private sealed class Tagger<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Tagger(int inputSize, int hiddenSize, int classes, int numLayers, Rng rng)
        {
            Lstm = RegisterModule("lstm", new RecurrentStack<T>(RecurrentMode.Lstm, inputSize, hiddenSize, rng, numLayers));
            Head = RegisterModule("head", new Linear<T>(hiddenSize, classes, rng));
        }

        public RecurrentStack<T> Lstm { get; }
        public Linear<T> Head { get; }

        /// <summary>x [B, T, I] → mean cross-entropy of the [B, T, C] logits against B·T targets.</summary>
        public Tensor<T> Loss(Tensor<T> x, int[] targets)
        {
            var logits = Head.Forward(Lstm.Forward(x).Output);                   // [B, T, C]
            return Op.CrossEntropy(Op.Reshape(logits, -1, Head.OutFeatures), targets);
        }
    }

    private static Optimizer<T> CreateOptimizer<T>(Fixture f, IEnumerable<Tensor<T>> parameters)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = f.Config.GetProperty("optimizer_args");
        double Arg(string name, double fallback) => a.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;
        bool Flag(string name) => a.TryGetProperty(name, out var v) && v.GetBoolean();
        double Beta(int i) => a.GetProperty("betas")[i].GetDouble();
        double lr = Arg("lr", double.NaN);
        return f.ConfigString("optimizer") switch
        {
            "SGD" => new Sgd<T>(parameters, lr, Arg("momentum", 0), Arg("dampening", 0), Arg("weight_decay", 0), Flag("nesterov")),
            "Adam" => new Adam<T>(parameters, lr, Beta(0), Beta(1), Arg("eps", 1e-8), Arg("weight_decay", 0)),
            "AdamW" => new AdamW<T>(parameters, lr, Beta(0), Beta(1), Arg("eps", 1e-8), Arg("weight_decay", 0.01)),
            "RMSprop" => new RmsProp<T>(parameters, lr, Arg("alpha", 0.99), Arg("eps", 1e-8), Arg("weight_decay", 0), Arg("momentum", 0), Flag("centered")),
            "Adagrad" => new Adagrad<T>(parameters, lr, Arg("lr_decay", 0), Arg("weight_decay", 0), Arg("initial_accumulator_value", 0), Arg("eps", 1e-10)),
            var o => throw new InvalidDataException($"{f.RelativePath}: optimizer '{o}' has no Recurrent counterpart in this test"),
        };
    }

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var path in Fixture.List("train"))
        {
            data.Add(path, true);
            data.Add(path, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrajectoryMatchesPyTorch(string path, bool inDouble)
    {
        var f = Fixture.Load(path);
        if (inDouble) Run<double>(f, 1e-6);
        else Run<float>(f, 1e-5);
    }

    private void Run<T>(Fixture f, double rtol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var check = new ReferenceAssert(log, f.Name, typeof(T).Name);
        var model = new Tagger<T>(f.ConfigInt("input_size"), f.ConfigInt("hidden_size"), f.ConfigInt("classes"), f.ConfigInt("num_layers"), new Rng(5));
        model.LoadStateDict(f.Params.ToDictionary(p => p.Key, p => p.Value.ToTensor<T>()));
        var x = f.Inputs["input"].ToTensor<T>();
        int[] targets = f.Targets!.SelectMany(row => row).ToArray();
        var optimizer = CreateOptimizer(f, model.Parameters());
        double? clip = f.Config.GetProperty("clip_grad_norm").ValueKind == System.Text.Json.JsonValueKind.Null ? null : f.ConfigDouble("clip_grad_norm");

        for (int step = 0; step < f.Losses.Length; step++)
        {
            optimizer.ZeroGrad();
            var loss = model.Loss(x, targets);
            check.Scalar(f.Losses[step], double.CreateChecked(loss.Item()), rtol, $"loss before step {step}");
            loss.Backward();
            if (step == 0)
                foreach (var (name, p) in model.NamedParameters())
                    check.Close(f.GradsStep0[name], p.Grad, rtol, $"step 0 d {name}");
            if (clip is double maxNorm)
                check.Scalar(f.GradNormsBeforeClip[step], GradClip.ClipGradNorm(model.Parameters(), maxNorm), rtol, $"grad norm at step {step}");
            optimizer.Step();
        }
        foreach (var (name, p) in model.NamedParameters())
            check.Close(f.FinalParams[name], p, rtol, $"final {name}");
        double finalLoss;
        using (GradMode.Disable()) finalLoss = double.CreateChecked(model.Loss(x, targets).Item());
        check.Scalar(f.FinalLoss!.Value, finalLoss, rtol, "loss after training");
        check.LogWorst();
    }
}
