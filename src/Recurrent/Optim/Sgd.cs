// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay: PyTorch's torch.optim.SGD
// (single-tensor path, maximize = false), update rule and defaults.
using System.Numerics;
using Recurrent.Tensors;

namespace Recurrent.Optim;

/// <summary>
/// SGD: <c>g ← g + λ·p</c>; with momentum μ: <c>b ← g</c> on the first step, else <c>b ← μ·b + (1 − τ)·g</c>, then
/// <c>g ← g + μ·b</c> (Nesterov) or <c>g ← b</c>; finally <c>p ← p − lr·g</c>.
/// </summary>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _momentum;

    /// <exception cref="ArgumentException">A hyperparameter is negative, or Nesterov is asked with momentum 0 or dampening ≠ 0.</exception>
    public Sgd(IEnumerable<Tensor<T>> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false) : base(parameters, lr)
    {
        CheckNonNegative("momentum", momentum);
        CheckNonNegative("weight_decay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Sgd: Nesterov momentum requires a momentum > 0 and zero dampening.");
        Momentum = momentum; Dampening = dampening; WeightDecay = weightDecay; Nesterov = nesterov;
        _momentum = NewBufferSlots();
    }

    public override string Kind => "SGD";
    public double Momentum { get; private set; }
    public double Dampening { get; private set; }
    public double WeightDecay { get; private set; }
    public bool Nesterov { get; private set; }

    protected override void Update(int index, Span<T> p, ReadOnlySpan<T> grad)
    {
        T lr = T.CreateChecked(LearningRate), wd = T.CreateChecked(WeightDecay);
        T mu = T.CreateChecked(Momentum), oneMinusDamp = T.CreateChecked(1 - Dampening);
        T[]? buf = null;
        bool first = false;
        if (Momentum != 0)
        {
            first = _momentum[index] is null;
            buf = _momentum[index] ??= new T[p.Length];
        }
        for (int j = 0; j < p.Length; j++)
        {
            T g = grad[j];
            if (WeightDecay != 0) g += wd * p[j];
            if (buf is not null)
            {
                buf[j] = first ? g : buf[j] * mu + oneMinusDamp * g;
                g = Nesterov ? g + mu * buf[j] : buf[j];
            }
            p[j] += -lr * g;
        }
    }

    protected override void SaveState(OptimizerState state)
    {
        state.Scalars["momentum"] = Momentum;
        state.Scalars["dampening"] = Dampening;
        state.Scalars["weight_decay"] = WeightDecay;
        state.Scalars["nesterov"] = Nesterov ? 1 : 0;
        SaveBuffers(state, "momentum_buffer", _momentum);
    }

    protected override void LoadState(OptimizerState state)
    {
        Momentum = GetScalar(state, "momentum");
        Dampening = GetScalar(state, "dampening");
        WeightDecay = GetScalar(state, "weight_decay");
        Nesterov = GetScalar(state, "nesterov") != 0;
        LoadBuffers(state, "momentum_buffer", _momentum);
    }
}
