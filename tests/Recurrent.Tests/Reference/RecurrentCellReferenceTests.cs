// RnnCell / LstmCell / GruCell against PyTorch's nn.RNNCell / nn.LSTMCell / nn.GRUCell: one step,
// outputs and every gradient of loss = Σ h'⊙R_h (+ Σ c'⊙R_c).
using System.Numerics;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Xunit.Abstractions;

namespace Recurrent.Tests.Reference;

public class RecurrentCellReferenceTests(ITestOutputHelper log)
{
    public static TheoryData<string> Cases => Fixture.Cases("cell");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchInDouble(string path) => Compare<double>(Fixture.Load(path), 1e-6);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchInFloat(string path) => Compare<float>(Fixture.Load(path), 1e-5);

    private void Compare<T>(Fixture f, double rtol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var check = new ReferenceAssert(log, f.Name, typeof(T).Name);
        int I = f.ConfigInt("input_size"), H = f.ConfigInt("hidden_size");
        bool bias = f.ConfigBool("bias");
        var rng = new Rng(99);
        RecurrentCellBase<T> cell = f.ConfigString("mode") switch
        {
            "RNN" => new RnnCell<T>(I, H, rng, bias, f.ConfigString("nonlinearity")),
            "LSTM" => new LstmCell<T>(I, H, rng, bias),
            "GRU" => new GruCell<T>(I, H, rng, bias),
            var m => throw new InvalidDataException($"{f.RelativePath}: unknown mode '{m}'"),
        };
        cell.LoadStateDict(f.Params.ToDictionary(p => p.Key, p => p.Value.ToTensor<T>()));

        var x = f.Inputs["input"].ToTensor<T>();
        x.RequiresGrad = true;
        var h0 = f.Inputs.TryGetValue("h0", out var h) ? h.ToTensor<T>() : null;
        var c0 = f.Inputs.TryGetValue("c0", out var c) ? c.ToTensor<T>() : null;
        if (h0 is not null) h0.RequiresGrad = true;
        if (c0 is not null) c0.RequiresGrad = true;

        Tensor<T> hOut;
        Tensor<T>? cOut = null;
        switch (cell)
        {
            case RnnCell<T> rnn: hOut = rnn.Forward(x, h0); break;
            case GruCell<T> gru: hOut = gru.Forward(x, h0); break;
            case LstmCell<T> lstm: (hOut, cOut) = lstm.Forward(x, h0, c0); break;
            default: throw new InvalidOperationException(cell.GetType().Name);
        }
        check.Close(f.Outputs["h"], hOut, rtol, "h'");
        var outs = new List<Tensor<T>> { hOut };
        var weights = new List<Tensor<T>> { f.LossWeights["h"].ToTensor<T>() };
        if (f.Outputs.TryGetValue("c", out var cExpected))
        {
            check.Close(cExpected, cOut, rtol, "c'");
            outs.Add(cOut!);
            weights.Add(f.LossWeights["c"].ToTensor<T>());
        }

        Backprop.Run(outs, weights);
        check.Close(f.Grads["input"], x.Grad, rtol, "d input");
        if (h0 is not null) check.Close(f.Grads["h0"], h0.Grad, rtol, "d h0");
        if (c0 is not null) check.Close(f.Grads["c0"], c0.Grad, rtol, "d c0");
        foreach (var (name, p) in cell.NamedParameters())
            check.Close(f.Grads[name], p.Grad, rtol, $"d {name}");
        check.LogWorst();
    }
}
