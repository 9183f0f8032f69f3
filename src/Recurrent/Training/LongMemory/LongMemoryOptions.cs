// The settings of one long-memory run, with the defaults of the lessons' experiments
// (Adam 1e-3, H = 128, batch 64, clip 1, a fixed test set of 1,000 sequences).
using Recurrent.Nn;

namespace Recurrent.Training.LongMemory;

/// <summary>Settings of <see cref="LongMemoryTrainer"/>. <see cref="Validate"/> names the first bad setting.</summary>
public sealed record LongMemoryOptions
{
    public LongMemoryTask Task { get; init; } = LongMemoryTask.Adding;
    public RecurrentMode Mode { get; init; } = RecurrentMode.Lstm;
    /// <summary>T: the adding problem's sequence length, or the copy task's number of blanks.</summary>
    public int Length { get; init; } = 100;
    public int HiddenSize { get; init; } = 128;
    public int NumLayers { get; init; } = 1;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Max global gradient norm; 0 turns clipping off (the norm is still measured).</summary>
    public double Clip { get; init; } = 1.0;
    /// <summary>LSTM forget-gate bias added at initialisation (0 = PyTorch's init, 1 = Keras' unit_forget_bias).</summary>
    public double ForgetBias { get; init; }
    public ulong Seed { get; init; } = 42;
    public int TrainSteps { get; init; } = 3000;
    /// <summary>Evaluate on the test set every this many steps (and after the last step).</summary>
    public int EvalEvery { get; init; } = 100;
    /// <summary>Sequences in the fixed test set (drawn from the seed, the same for every cell).</summary>
    public int TestSize { get; init; } = 1000;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">The message names the setting and its valid range.</exception>
    public void Validate()
    {
        int min = Task.MinLength();
        if (Length < min) throw new ArgumentException($"length must be at least {min} for the {Task.Name()} task (got {Length}).");
        if (Length > 100_000) throw new ArgumentException($"length {Length} is too large (at most 100000).");
        if (HiddenSize < 1) throw new ArgumentException($"hidden size must be at least 1 (got {HiddenSize}).");
        if (NumLayers < 1) throw new ArgumentException($"layers must be at least 1 (got {NumLayers}).");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be at least 1 (got {BatchSize}).");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"learning rate must be a positive number (got {LearningRate}).");
        if (!(Clip >= 0) || !double.IsFinite(Clip)) throw new ArgumentException($"clip must be a number ≥ 0, 0 = off (got {Clip}).");
        if (!double.IsFinite(ForgetBias)) throw new ArgumentException($"forget bias must be a finite number (got {ForgetBias}).");
        if (ForgetBias != 0 && Mode != RecurrentMode.Lstm) throw new ArgumentException($"forget bias applies to the LSTM only (cell is {Mode.DisplayName()}).");
        if (TrainSteps < 0) throw new ArgumentException($"train steps must be ≥ 0 (got {TrainSteps}).");
        if (EvalEvery < 1) throw new ArgumentException($"eval-every must be at least 1 (got {EvalEvery}).");
        if (TestSize < 1) throw new ArgumentException($"test size must be at least 1 (got {TestSize}).");
        // Memory: the test set and the activations one training step keeps for backward ([S, B, G·H] gates and more).
        long steps = Task.SequenceLength(Length);
        long testElements = TestSize * steps * Task.InputSize();
        long stepElements = (long)BatchSize * steps * HiddenSize * 8 * NumLayers;
        if (testElements > MaxElements || stepElements > MaxElements)
            throw new ArgumentException($"length {Length} with batch {BatchSize}, hidden {HiddenSize}, {NumLayers} layer(s) and a test set of {TestSize} needs more than {MaxElements / (1 << 28)} GB; use a smaller length, batch, hidden size or test size.");
        // The weights themselves, with their gradients and Adam's two moments: four copies.
        long parameters = ParameterElements(Task, Mode, HiddenSize, NumLayers);
        if (parameters > MaxElements / 4)
            throw new ArgumentException($"hidden {HiddenSize} with {NumLayers} layer(s) means {parameters:N0} parameters; with their gradients and Adam's state that is more than {MaxElements / (1 << 28)} GB; use a smaller hidden size or fewer layers.");
    }

    /// <summary>Parameters of <see cref="LongMemoryModel{T}"/> for these sizes (recurrent stack with both biases, and the head),
    /// computed without building it, so that sizes too large to allocate are refused before any allocation.</summary>
    public static long ParameterElements(LongMemoryTask task, RecurrentMode mode, int hiddenSize, int numLayers)
    {
        long G = (long)mode.GateCount() * hiddenSize, H = hiddenSize;
        long first = G * (task.InputSize() + H + 2);                         // weight_ih_l0, weight_hh_l0, two biases
        long deeper = G * (H + H + 2) * Math.Max(0, numLayers - 1);          // layers ≥ 1 read the layer below (H wide)
        long head = (H + 1) * task.OutputSize();
        return first + deeper + head;
    }

    /// <summary>The largest number of float elements a run may hold in its test set or in one step's activations (about 4 GB).</summary>
    public const long MaxElements = 1L << 30;
}
