// RecurrentStack (nn.RNN / nn.LSTM / nn.GRU) against PyTorch: the fixture's parameters are loaded by
// their state_dict names, then outputs, final states and every gradient of
// loss = Σ out⊙R + Σ h_n⊙R_h (+ Σ c_n⊙R_c) are compared, in double (the math) and float (the product).
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Xunit.Abstractions;

namespace Recurrent.Tests.Reference;

public class RecurrentStackReferenceTests(ITestOutputHelper log)
{
    public static TheoryData<string> Cases => Fixture.Cases("stack");

    // The reference is float64 PyTorch rounded to float32 (≤ 6e-8 relative), so a double run must be
    // far inside 1e-6; float32 accumulates rounding, more so over 100+ steps.
    private const double DoubleTolerance = 1e-6;
    private const double FloatTolerance = 1e-5, FloatToleranceLong = 1e-4;

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchInDouble(string path) => Compare<double>(Fixture.Load(path), DoubleTolerance);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchInFloat(string path)
    {
        var f = Fixture.Load(path);
        Compare<float>(f, f.ConfigInt("steps") >= 100 ? FloatToleranceLong : FloatTolerance);
    }

    internal static RecurrentMode ModeOf(Fixture f) => f.ConfigString("mode") switch
    {
        "RNN" => f.ConfigString("nonlinearity") == "relu" ? RecurrentMode.RnnRelu : RecurrentMode.RnnTanh,
        "LSTM" => RecurrentMode.Lstm,
        "GRU" => RecurrentMode.Gru,
        var m => throw new InvalidDataException($"{f.RelativePath}: unknown mode '{m}'"),
    };

    private void Compare<T>(Fixture f, double rtol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var check = new ReferenceAssert(log, f.Name, typeof(T).Name);
        var stack = new RecurrentStack<T>(ModeOf(f), f.ConfigInt("input_size"), f.ConfigInt("hidden_size"), new Rng(99),
            f.ConfigInt("num_layers"), f.ConfigBool("bidirectional"), f.ConfigDouble("dropout"), f.ConfigBool("bias"));
        if (!f.ConfigBool("training")) stack.Eval();
        stack.LoadStateDict(f.Params.ToDictionary(p => p.Key, p => p.Value.ToTensor<T>()));

        var x = f.Inputs["input"].ToTensor<T>();
        x.RequiresGrad = true;
        var h0 = f.Inputs.TryGetValue("h0", out var h) ? h.ToTensor<T>() : null;
        var c0 = f.Inputs.TryGetValue("c0", out var c) ? c.ToTensor<T>() : null;
        if (h0 is not null) h0.RequiresGrad = true;
        if (c0 is not null) c0.RequiresGrad = true;

        var r = stack.Forward(x, h0, c0, f.Lengths);
        check.Close(f.Outputs["output"], r.Output, rtol, "output");
        check.Close(f.Outputs["h_n"], r.HN, rtol, "h_n");
        if (f.Outputs.TryGetValue("c_n", out var cn))
        {
            Assert.NotNull(r.CN);
            check.Close(cn, r.CN, rtol, "c_n");
        }
        else Assert.Null(r.CN);

        var outs = new List<Tensor<T>> { r.Output, r.HN };
        var weights = new List<Tensor<T>> { f.LossWeights["output"].ToTensor<T>(), f.LossWeights["h_n"].ToTensor<T>() };
        if (r.CN is not null) { outs.Add(r.CN); weights.Add(f.LossWeights["c_n"].ToTensor<T>()); }
        double loss = 0, magnitude = 0;
        for (int k = 0; k < outs.Count; k++)
            for (int i = 0; i < outs[k].Length; i++)
            {
                double term = double.CreateChecked(outs[k].Data[i]) * double.CreateChecked(weights[k].Data[i]);
                loss += term;
                magnitude += Math.Abs(term);
            }
        // The loss is a sum of ± terms: measure its error against Σ|term|, not against the (cancelling) sum.
        check.Scalar(f.LossValue!.Value, loss, rtol, "loss", magnitude);

        Backprop.Run(outs, weights);
        check.Close(f.Grads["input"], x.Grad, rtol, "d input");
        if (h0 is not null) check.Close(f.Grads["h0"], h0.Grad, rtol, "d h0");
        if (c0 is not null) check.Close(f.Grads["c0"], c0.Grad, rtol, "d c0");
        foreach (var (name, p) in stack.NamedParameters())
            check.Close(f.Grads[name], p.Grad, rtol, $"d {name}");
        check.LogWorst();
    }
}
