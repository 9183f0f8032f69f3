// An independent, deliberately naive implementation of PyTorch's RNN/LSTM/GRU semantics (one row, one step,
// one matrix-vector product at a time, packed-sequence handling of lengths) used to check the library's
// fused layers. It shares no code with the library.
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Nn;

internal static class NaiveRecurrent
{
    /// <summary>Output [B, T, D·H], hN and cN [L·D, B, H] for a batch-first input [B, T, I].</summary>
    public static (double[] Output, double[] HN, double[] CN) Run(RecurrentStack<double> stack, double[] x, int batch, int steps,
        double[]? h0 = null, double[]? c0 = null, int[]? lengths = null)
    {
        int L = stack.NumLayers, D = stack.NumDirections, H = stack.HiddenSize, I = stack.InputSize;
        var output = new double[batch * steps * D * H];
        var hN = new double[L * D * batch * H];
        var cN = new double[L * D * batch * H];
        for (int b = 0; b < batch; b++)
        {
            int len = lengths?[b] ?? steps;
            // layer input: [len][features]
            var seq = new double[len][];
            for (int t = 0; t < len; t++) seq[t] = x.AsSpan((b * steps + t) * I, I).ToArray();
            for (int l = 0; l < L; l++)
            {
                var next = new double[len][];
                for (int t = 0; t < len; t++) next[t] = new double[D * H];
                for (int d = 0; d < D; d++)
                {
                    var w = stack.Weights(l, d);
                    int slot = ((l * D + d) * batch + b) * H;
                    var h = h0 is null ? new double[H] : h0.AsSpan(slot, H).ToArray();
                    var c = c0 is null ? new double[H] : c0.AsSpan(slot, H).ToArray();
                    for (int s = 0; s < len; s++)
                    {
                        int t = d == 0 ? s : len - 1 - s;
                        (h, c) = Cell(stack.Mode, w, seq[t], h, c, H);
                        h.CopyTo(next[t], d * H);
                    }
                    h.CopyTo(hN, slot);
                    c.CopyTo(cN, slot);
                }
                seq = next;
            }
            for (int t = 0; t < len; t++) seq[t].CopyTo(output, (b * steps + t) * D * H);
        }
        return (output, hN, cN);
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    private static double[] MatVec(Tensor<double> w, double[] v, Tensor<double>? bias)
    {
        int rows = w.Dim(0), cols = w.Dim(1);
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = bias is null ? 0 : bias.Data[r];
            for (int k = 0; k < cols; k++) sum += w.Data[r * cols + k] * v[k];
            y[r] = sum;
        }
        return y;
    }

    public static (double[] H, double[] C) Cell(RecurrentMode mode, RecurrentWeights<double> w, double[] x, double[] h, double[] c, int H)
    {
        var gx = MatVec(w.WeightIh, x, w.BiasIh);
        var gh = MatVec(w.WeightHh, h, w.BiasHh);
        var hNew = new double[H];
        var cNew = (double[])c.Clone();
        for (int j = 0; j < H; j++)
        {
            switch (mode)
            {
                case RecurrentMode.Lstm:
                    double i = Sigmoid(gx[j] + gh[j]), f = Sigmoid(gx[H + j] + gh[H + j]);
                    double g = Math.Tanh(gx[2 * H + j] + gh[2 * H + j]), o = Sigmoid(gx[3 * H + j] + gh[3 * H + j]);
                    cNew[j] = f * c[j] + i * g;
                    hNew[j] = o * Math.Tanh(cNew[j]);
                    break;
                case RecurrentMode.Gru:
                    double r = Sigmoid(gx[j] + gh[j]), z = Sigmoid(gx[H + j] + gh[H + j]);
                    double n = Math.Tanh(gx[2 * H + j] + r * gh[2 * H + j]);
                    hNew[j] = (1 - z) * n + z * h[j];
                    break;
                case RecurrentMode.RnnTanh:
                    hNew[j] = Math.Tanh(gx[j] + gh[j]);
                    break;
                default:
                    hNew[j] = Math.Max(0, gx[j] + gh[j]);
                    break;
            }
        }
        return (hNew, cNew);
    }
}
