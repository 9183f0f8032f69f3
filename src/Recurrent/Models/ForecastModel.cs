// The common face of the forecasters: a window of the (scaled) series in, the next K target values out.
// Dimension letters: B batch, W lookback, F features, K horizon, H hidden.
using System.Numerics;
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Models;

/// <summary>A model that maps windows x [B, W, F] to forecasts [B, K] of the target (all in scaled units).</summary>
public abstract class ForecastModel<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    protected ForecastModel(int lookback, int features, int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lookback);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(horizon);
        Lookback = lookback;
        Features = features;
        Horizon = horizon;
    }

    /// <summary>W: input steps per window.</summary>
    public int Lookback { get; }
    /// <summary>F: values per step (the target first, then the extra features).</summary>
    public int Features { get; }
    /// <summary>K: values predicted per window (1 = one step, recursive beyond).</summary>
    public int Horizon { get; }

    /// <summary>x [B, W, F] → forecasts [B, K].</summary>
    public abstract Tensor<T> Forward(Tensor<T> x);

    /// <summary>The architecture part of config.json (PyTorch constructor names).</summary>
    public abstract JsonObject ArchitectureJson();

    /// <summary>Inference on raw float windows (no graph; dropout off for the call).</summary>
    /// <param name="x">[count, W, F] row-major</param>
    /// <param name="count">number of windows</param>
    /// <returns>[count, K]</returns>
    public float[] Predict(float[] x, int count)
    {
        bool wasTraining = Training;
        Eval();
        try
        {
            using var _ = GradMode.Disable();
            var result = new float[count * Horizon];
            const int chunk = 256;                               // bounded activation memory
            for (int start = 0; start < count; start += chunk)
            {
                int b = Math.Min(chunk, count - start);
                var xt = new Tensor<T>(new T[b * Lookback * Features], b, Lookback, Features);
                var src = x.AsSpan(start * Lookback * Features, b * Lookback * Features);
                for (int i = 0; i < src.Length; i++) xt.Data[i] = T.CreateChecked(src[i]);
                var y = Forward(xt).Data;
                for (int i = 0; i < y.Length; i++) result[start * Horizon + i] = float.CreateChecked(y[i]);
            }
            return result;
        }
        finally { Train(wasTraining); }
    }

    /// <summary>Converts float data to a tensor of this element type.</summary>
    protected static Tensor<T> ToTensor(ReadOnlySpan<float> data, params int[] shape)
    {
        var t = new Tensor<T>(shape);
        for (int i = 0; i < data.Length; i++) t.Data[i] = T.CreateChecked(data[i]);
        return t;
    }
}
