// The PyTorch export directory (tests/fixtures/torch_export: model.safetensors + config.json + x/y/hn/cn
// .npy, all float32 from PyTorch) loaded into a RecurrentStack: Recurrent must reproduce PyTorch's own
// float32 outputs. The files are read by TorchFiles, not by the library's IO code, so this test
// cross-checks that code instead of depending on it.
using System.Text.Json;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Xunit.Abstractions;

namespace Recurrent.Tests.Reference;

public class TorchExportReferenceTests(ITestOutputHelper log)
{
    private static string Dir => Path.Combine(Fixture.Root, "torch_export");

    [Fact]
    public void ExportedLstmReproducesPyTorchOutputs()
    {
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir, "config.json")));
        var c = config.RootElement;
        Assert.Equal("LSTM", c.GetProperty("mode").GetString());
        Assert.True(c.GetProperty("batch_first").GetBoolean());
        var stack = new RecurrentStack<float>(RecurrentMode.Lstm, c.GetProperty("input_size").GetInt32(), c.GetProperty("hidden_size").GetInt32(),
            new Rng(1), c.GetProperty("num_layers").GetInt32(), c.GetProperty("bidirectional").GetBoolean(),
            c.GetProperty("dropout").GetDouble(), c.GetProperty("bias").GetBoolean());
        stack.Eval();
        stack.LoadStateDict(TorchFiles.ReadSafeTensors(Path.Combine(Dir, "model.safetensors")));

        RecurrentResult<float> r;
        using (GradMode.Disable()) r = stack.Forward(TorchFiles.ReadNpy(Path.Combine(Dir, "x.npy")));
        var check = new ReferenceAssert(log, "torch_export", "Single");
        // Both sides are float32 runs (PyTorch's and ours), each within ~1e-6 of the exact result.
        check.Close(ToFixture(TorchFiles.ReadNpy(Path.Combine(Dir, "y.npy"))), r.Output, 1e-5, "output (y.npy)");
        check.Close(ToFixture(TorchFiles.ReadNpy(Path.Combine(Dir, "hn.npy"))), r.HN, 1e-5, "h_n (hn.npy)");
        check.Close(ToFixture(TorchFiles.ReadNpy(Path.Combine(Dir, "cn.npy"))), r.CN, 1e-5, "c_n (cn.npy)");
        check.LogWorst();
    }

    private static FixtureTensor ToFixture(Tensor<float> t)
        => new(t.Shape.ToArray(), Support.Tolerance.ToDouble(t.Data));
}
