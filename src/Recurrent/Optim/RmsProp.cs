// RMSprop: PyTorch's torch.optim.RMSprop single-tensor path (alpha, eps, weight decay, momentum, centered).
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Optim;

/// <summary>
/// RMSprop: <c>g ← g + λ·p</c>, <c>s ← α·s + (1 − α)·g²</c>; centered: <c>ḡ ← ḡ + (1 − α)(g − ḡ)</c> and
/// <c>d = √(s − ḡ²) + ε</c>, otherwise <c>d = √s + ε</c>; with momentum μ: <c>b ← μ·b + g/d</c>, <c>p ← p − lr·b</c>,
/// otherwise <c>p ← p − lr·g/d</c>. PyTorch defaults: lr 0.01, α 0.99, ε 1e-8.
/// </summary>
public sealed class RmsProp<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _squareAvg, _gradAvg, _momentum;
    private readonly long[] _steps;

    /// <exception cref="ArgumentException">A hyperparameter is negative or not finite.</exception>
    public RmsProp(IEnumerable<Tensor<T>> parameters, double lr = 0.01, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false) : base(parameters, lr)
    {
        CheckNonNegative("alpha", alpha);
        CheckNonNegative("eps", eps);
        CheckNonNegative("weight_decay", weightDecay);
        CheckNonNegative("momentum", momentum);
        Alpha = alpha; Eps = eps; WeightDecay = weightDecay; Momentum = momentum; Centered = centered;
        _squareAvg = NewBufferSlots(); _gradAvg = NewBufferSlots(); _momentum = NewBufferSlots();
        _steps = new long[Parameters.Count];
    }

    public override string Kind => "RMSprop";
    public double Alpha { get; private set; }
    public double Eps { get; private set; }
    public double WeightDecay { get; private set; }
    public double Momentum { get; private set; }
    public bool Centered { get; private set; }

    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> grad)
    {
        var s = _squareAvg[index] ??= new T[p.Length];
        var gAvg = Centered ? _gradAvg[index] ??= new T[p.Length] : null;
        var buf = Momentum > 0 ? _momentum[index] ??= new T[p.Length] : null;
        _steps[index]++;
        T lr = T.CreateChecked(LearningRate), a = T.CreateChecked(Alpha), oneMinusA = T.CreateChecked(1 - Alpha);
        T eps = T.CreateChecked(Eps), wd = T.CreateChecked(WeightDecay), mu = T.CreateChecked(Momentum);
        for (int j = 0; j < p.Length; j++)
        {
            T g = grad[j];
            if (WeightDecay != 0) g += wd * p[j];
            s[j] = s[j] * a + oneMinusA * g * g;
            T avg;
            if (gAvg is not null)
            {
                gAvg[j] += oneMinusA * (g - gAvg[j]);                     // lerp(ḡ, g, 1 − α)
                avg = T.Sqrt(s[j] - gAvg[j] * gAvg[j]);
            }
            else avg = T.Sqrt(s[j]);
            avg += eps;
            if (buf is not null)
            {
                buf[j] = buf[j] * mu + g / avg;
                p[j] += -lr * buf[j];
            }
            else p[j] += -lr * g / avg;
        }
    }

    protected override void SaveState(OptimizerState state)
    {
        state.Scalars["alpha"] = Alpha;
        state.Scalars["eps"] = Eps;
        state.Scalars["weight_decay"] = WeightDecay;
        state.Scalars["momentum"] = Momentum;
        state.Scalars["centered"] = Centered ? 1 : 0;
        for (int i = 0; i < _steps.Length; i++) if (_squareAvg[i] is not null) state.Scalars[$"{i}.step"] = _steps[i];
        SaveBuffers(state, "square_avg", _squareAvg);
        SaveBuffers(state, "grad_avg", _gradAvg);
        SaveBuffers(state, "momentum_buffer", _momentum);
    }

    protected override void LoadState(OptimizerState state)
    {
        Alpha = GetScalar(state, "alpha");
        Eps = GetScalar(state, "eps");
        WeightDecay = GetScalar(state, "weight_decay");
        Momentum = GetScalar(state, "momentum");
        Centered = GetScalar(state, "centered") != 0;
        LoadBuffers(state, "square_avg", _squareAvg);
        LoadBuffers(state, "grad_avg", _gradAvg);
        LoadBuffers(state, "momentum_buffer", _momentum);
        for (int i = 0; i < _steps.Length; i++) _steps[i] = state.Scalars.TryGetValue($"{i}.step", out var s) ? (long)s : 0;
    }
}
