// The bench protocol's step through the general API (ops recorded on the autograd graph, Backprop,
// GradClip, Sgd): the reference twin of FusedCharLm, and what `recurrent bench --path autograd` measures.
// Letters: B batch rows, T steps, V vocabulary, H hidden units.
using Recurrent.Nn;
using Recurrent.Ops;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>One-hot → <see cref="RecurrentStack{T}"/> → <see cref="Linear{T}"/> → cross-entropy, trained with
/// clip-to-norm and SGD, the state carried and detached between minibatches — written with the general ops.</summary>
public sealed class AutogradCharLm
{
    private readonly RecurrentStack<float> _rnn;
    private readonly Linear<float> _head;
    private readonly Tensor<float>[] _parameters;
    private readonly Sgd<float> _sgd;
    private readonly int _b, _t;
    private Tensor<float>? _h, _c;

    /// <summary>Binds the step to <paramref name="rnn"/> and <paramref name="head"/> (updated in place).</summary>
    public AutogradCharLm(RecurrentStack<float> rnn, Linear<float> head, int batch, int steps)
    {
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentNullException.ThrowIfNull(head);
        _rnn = rnn; _head = head; _b = batch; _t = steps;
        _parameters = [.. rnn.Parameters(), .. head.Parameters()];
        _sgd = new Sgd<float>(_parameters, lr: 1);
    }

    /// <summary>Zeroes the carried state (the start of an epoch).</summary>
    public void ResetState() { _h = null; _c = null; }

    /// <summary>The carried hidden state [B, H] (zeros after a reset).</summary>
    public ReadOnlySpan<float> HiddenState => _h is null ? new float[_b * _rnn.HiddenSize] : _h.Data;

    /// <summary>Forward, mean cross-entropy, backward, clip, SGD; returns the loss and the norm before clipping.</summary>
    public (double Loss, double GradNorm) TrainStep(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, double learningRate, double maxNorm)
    {
        var loss = Loss(inputs, targets);
        _sgd.ZeroGrad(setToNone: false);
        loss.Backward();
        double norm = GradClip.ClipGradNorm(_parameters, maxNorm);
        _sgd.LearningRate = learningRate;
        _sgd.Step();
        return (loss.Item(), norm);
    }

    /// <summary>Forward and mean cross-entropy without a graph.</summary>
    public double InferStep(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets)
    {
        using (Autograd.GradMode.Disable()) return Loss(inputs, targets).Item();
    }

    private Tensor<float> Loss(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets)
    {
        int V = _rnn.InputSize;
        var x = Op.OneHot<float>(inputs.ToArray(), V, [_b, _t]);                      // [B, T, V]
        var r = _rnn.Forward(x, _h, _c);
        _h = r.HN.Detach();                                                            // [1, B, H] truncated BPTT
        _c = r.CN?.Detach();
        var logits = _head.Forward(r.Output);                                          // [B, T, V]
        return Op.CrossEntropy(logits, targets.ToArray());
    }
}
