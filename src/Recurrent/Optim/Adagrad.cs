// Adagrad: PyTorch's torch.optim.Adagrad single-tensor path (lr decay, weight decay, initial accumulator, eps).
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Optim;

/// <summary>
/// Adagrad: <c>g ← g + λ·p</c>, <c>clr = lr / (1 + (t − 1)·lr_decay)</c>, <c>s ← s + g²</c>,
/// <c>p ← p − clr·g / (√s + ε)</c>. The sum starts at <c>initialAccumulatorValue</c> for every parameter
/// (as PyTorch, which creates the state in the constructor). Defaults: lr 0.01, ε 1e-10.
/// </summary>
public sealed class Adagrad<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _sum;
    private readonly long[] _steps;

    /// <exception cref="ArgumentException">A hyperparameter is negative or not finite.</exception>
    public Adagrad(IEnumerable<Tensor<T>> parameters, double lr = 0.01, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10) : base(parameters, lr)
    {
        CheckNonNegative("lr_decay", lrDecay);
        CheckNonNegative("weight_decay", weightDecay);
        CheckNonNegative("initial_accumulator_value", initialAccumulatorValue);
        CheckNonNegative("eps", eps);
        LrDecay = lrDecay; WeightDecay = weightDecay; InitialAccumulatorValue = initialAccumulatorValue; Eps = eps;
        _sum = NewBufferSlots();
        T init = T.CreateChecked(initialAccumulatorValue);
        for (int i = 0; i < _sum.Length; i++)
        {
            _sum[i] = new T[Parameters[i].Length];
            Array.Fill(_sum[i]!, init);
        }
        _steps = new long[Parameters.Count];
    }

    public override string Kind => "Adagrad";
    public double LrDecay { get; private set; }
    public double WeightDecay { get; private set; }
    public double InitialAccumulatorValue { get; private set; }
    public double Eps { get; private set; }

    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> grad)
    {
        var s = _sum[index]!;
        long step = ++_steps[index];
        T clr = T.CreateChecked(LearningRate / (1 + (step - 1) * LrDecay));
        T wd = T.CreateChecked(WeightDecay), eps = T.CreateChecked(Eps);
        for (int j = 0; j < p.Length; j++)
        {
            T g = grad[j];
            if (WeightDecay != 0) g += wd * p[j];
            s[j] += g * g;
            p[j] += -clr * g / (T.Sqrt(s[j]) + eps);
        }
    }

    protected override void SaveState(OptimizerState state)
    {
        state.Scalars["lr_decay"] = LrDecay;
        state.Scalars["weight_decay"] = WeightDecay;
        state.Scalars["initial_accumulator_value"] = InitialAccumulatorValue;
        state.Scalars["eps"] = Eps;
        for (int i = 0; i < _steps.Length; i++) state.Scalars[$"{i}.step"] = _steps[i];
        SaveBuffers(state, "sum", _sum);
    }

    protected override void LoadState(OptimizerState state)
    {
        LrDecay = GetScalar(state, "lr_decay");
        WeightDecay = GetScalar(state, "weight_decay");
        InitialAccumulatorValue = GetScalar(state, "initial_accumulator_value");
        Eps = GetScalar(state, "eps");
        LoadBuffers(state, "sum", _sum);
        for (int i = 0; i < _steps.Length; i++)
        {
            if (_sum[i] is null) throw new InvalidDataException($"optimizer state (Adagrad): missing buffer '{i}.sum'.");
            _steps[i] = (long)GetScalar(state, $"{i}.step");
        }
    }
}
