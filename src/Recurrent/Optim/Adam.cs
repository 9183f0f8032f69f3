// Adam and AdamW (decoupled weight decay): PyTorch's torch.optim.Adam / AdamW single-tensor path, with amsgrad.
// Per-parameter step counts (a parameter that had no gradient on some step has a smaller count, as in PyTorch).
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Optim;

/// <summary>
/// Adam: <c>g ← g + λ·p</c> (L2; AdamW instead does <c>p ← p·(1 − lr·λ)</c>), <c>m ← m + (1 − β₁)(g − m)</c>,
/// <c>v ← β₂·v + (1 − β₂)·g²</c>, <c>p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)</c>
/// (with amsgrad, <c>v̂ = max(v̂, v)</c> replaces v in the denominator).
/// </summary>
public class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _expAvg, _expAvgSq, _maxExpAvgSq;
    private readonly long[] _steps;
    private readonly bool _decoupled;

    /// <exception cref="ArgumentException">A hyperparameter is out of range (betas in [0, 1), eps and weight decay ≥ 0).</exception>
    public Adam(IEnumerable<Tensor<T>> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: false) { }

    private protected Adam(IEnumerable<Tensor<T>> parameters, double lr, double beta1, double beta2,
        double eps, double weightDecay, bool amsgrad, bool decoupled) : base(parameters, lr)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"{Kind}: invalid beta1 {beta1} (must be in [0, 1)).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"{Kind}: invalid beta2 {beta2} (must be in [0, 1)).");
        CheckNonNegative("eps", eps);
        CheckNonNegative("weight_decay", weightDecay);
        Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay; Amsgrad = amsgrad;
        _decoupled = decoupled;
        _expAvg = NewBufferSlots(); _expAvgSq = NewBufferSlots(); _maxExpAvgSq = NewBufferSlots();
        _steps = new long[Parameters.Count];
    }

    // Overridden by AdamW rather than derived from the flag: the base constructor reads Kind before fields are set.
    public override string Kind => "Adam";
    public double Beta1 { get; private set; }
    public double Beta2 { get; private set; }
    public double Eps { get; private set; }
    public double WeightDecay { get; private set; }
    public bool Amsgrad { get; private set; }

    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> grad)
    {
        var m = _expAvg[index] ??= new T[p.Length];
        var v = _expAvgSq[index] ??= new T[p.Length];
        long step = ++_steps[index];
        // Scalars are computed in double as PyTorch does in Python, then used at the parameter's precision.
        double bc1 = 1 - Math.Pow(Beta1, step), bc2 = 1 - Math.Pow(Beta2, step);
        var s = new AdamScalars<T>(T.CreateChecked(1 - Beta1), T.CreateChecked(Beta2), T.CreateChecked(1 - Beta2),
            T.CreateChecked(Math.Sqrt(bc2)), T.CreateChecked(Eps), -T.CreateChecked(LearningRate / bc1),
            T.CreateChecked(WeightDecay), T.CreateChecked(1 - LearningRate * WeightDecay), _decoupled, WeightDecay != 0);
        if (Amsgrad) { UpdateScalar(p, grad, m, v, _maxExpAvgSq[index] ??= new T[p.Length], s); return; }
        // The vectorised, thread-split update (bit-identical to UpdateScalar without AMSGrad) on the tensors' arrays
        // (Step calls Update only for a parameter with a gradient; p and grad are those arrays' spans).
        var param = Parameters[index];
        AdamUpdate<T>.Run(param.Array, param.Grad!.Array, m, v, s);
    }

    /// <summary>The reference loop, one element at a time (used for AMSGrad; AdamUpdate must equal it bit for bit).</summary>
    internal static void UpdateScalar(Span<T> p, ReadOnlySpan<T> grad, Span<T> m, Span<T> v, Span<T> vMax, in AdamScalars<T> s)
    {
        for (int j = 0; j < p.Length; j++)
        {
            T g = grad[j];
            if (s.HasWeightDecay)
            {
                if (s.Decoupled) p[j] *= s.Decay;
                else g += s.Wd * p[j];
            }
            m[j] += s.W1 * (g - m[j]);                                    // lerp(m, g, 1 − β₁)
            v[j] = v[j] * s.B2 + s.W2 * g * g;
            T vv = v[j];
            if (!vMax.IsEmpty) vv = vMax[j] = T.Max(vMax[j], v[j]);
            T denom = T.Sqrt(vv) / s.Bc2Sqrt + s.Eps;
            p[j] += s.NegStepSize * m[j] / denom;
        }
    }

    protected override void SaveState(OptimizerState state)
    {
        state.Scalars["beta1"] = Beta1;
        state.Scalars["beta2"] = Beta2;
        state.Scalars["eps"] = Eps;
        state.Scalars["weight_decay"] = WeightDecay;
        state.Scalars["amsgrad"] = Amsgrad ? 1 : 0;
        for (int i = 0; i < _steps.Length; i++) if (_expAvg[i] is not null) state.Scalars[$"{i}.step"] = _steps[i];
        SaveBuffers(state, "exp_avg", _expAvg);
        SaveBuffers(state, "exp_avg_sq", _expAvgSq);
        SaveBuffers(state, "max_exp_avg_sq", _maxExpAvgSq);
    }

    protected override void LoadState(OptimizerState state)
    {
        Beta1 = GetScalar(state, "beta1");
        Beta2 = GetScalar(state, "beta2");
        Eps = GetScalar(state, "eps");
        WeightDecay = GetScalar(state, "weight_decay");
        Amsgrad = GetScalar(state, "amsgrad") != 0;
        LoadBuffers(state, "exp_avg", _expAvg);
        LoadBuffers(state, "exp_avg_sq", _expAvgSq);
        LoadBuffers(state, "max_exp_avg_sq", _maxExpAvgSq);
        for (int i = 0; i < _steps.Length; i++)
        {
            _steps[i] = state.Scalars.TryGetValue($"{i}.step", out var s) ? (long)s : 0;
            if ((_expAvg[i] is null) != (_expAvgSq[i] is null) || (_expAvg[i] is not null && _steps[i] <= 0))
                throw new InvalidDataException($"optimizer state ({Kind}): parameter {i} has incomplete state (exp_avg, exp_avg_sq and step go together).");
        }
    }
}

/// <summary>AdamW: Adam with decoupled weight decay <c>p ← p·(1 − lr·λ)</c> before the Adam update (PyTorch default λ = 0.01).</summary>
public sealed class AdamW<T> : Adam<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <exception cref="ArgumentException">A hyperparameter is out of range.</exception>
    public AdamW(IEnumerable<Tensor<T>> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0.01, bool amsgrad = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: true) { }

    public override string Kind => "AdamW";
}
