// The gradient diagnosis of one long-memory model: how far back a last-step loss reaches
// (GradientFlow), what the recurrent weights do (RecurrentWeightReport), and the global gradient norm
// of that loss before and after clipping. Runs in double so that vanished gradients stay measurable
// far below float's smallest number.
using Recurrent.Diagnostics;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training.LongMemory;

/// <summary>The measurements of <see cref="LongMemoryDiagnosis.Run"/>.</summary>
/// <param name="Flow">‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖) for every step.</param>
/// <param name="Weights">Spectral radius and σ_max of every gate block of W_hh.</param>
/// <param name="GradNormBeforeClip">Global norm of all parameter gradients of the last-step loss.</param>
/// <param name="GradNormAfterClip">The same after clipping to the max norm (equal when already below it or clipping is off).</param>
public sealed record LongMemoryDiagnosisResult(GradientFlowResult Flow, IReadOnlyList<RecurrentWeightBlock> Weights,
    double GradNormBeforeClip, double GradNormAfterClip);

/// <summary>Diagnoses gradient flow through a <see cref="LongMemoryModel{T}"/>.</summary>
public static class LongMemoryDiagnosis
{
    /// <summary>Draws <paramref name="batchSize"/> sequences of length <paramref name="length"/> of the model's task from
    /// <paramref name="seed"/>, measures the gradient of the last-step loss with respect to every hidden state and
    /// every parameter, and clips the parameter gradients to <paramref name="maxNorm"/> (0 or +∞ = no clipping).</summary>
    /// <exception cref="ArgumentException">The length or batch size is too small, or maxNorm is negative.</exception>
    public static LongMemoryDiagnosisResult Run(LongMemoryModel<double> model, int length, int batchSize, ulong seed, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(maxNorm >= 0)) throw new ArgumentException($"gradient diagnosis: max norm must be ≥ 0 (got {maxNorm}).");
        var batch = model.Task.Sample<double>(batchSize, length, new Rng(seed));
        var parameters = model.Parameters().ToList();
        model.ZeroGrad();
        var flow = GradientFlow.Measure(model.Rnn, batch.X, last => model.LastStepLoss(last, batch));
        double before = GradClip.ClipGradNorm(parameters, maxNorm > 0 ? maxNorm : double.PositiveInfinity);
        double after = GradClip.ClipGradNorm(parameters, double.PositiveInfinity);
        var weights = RecurrentWeightReport.Analyze(model.Rnn);
        return new LongMemoryDiagnosisResult(flow, weights, before, after);
    }
}
