// Argument validation shared by the recurrent gate kernels: checked once at the entry, with the kernel
// and argument named in the message.
namespace Recurrent.Kernels;

internal static class KernelChecks
{
    public static void Length(string kernel, string name, int actual, int needed)
    {
        if (actual < needed) throw new ArgumentException($"{kernel}: {name} has {actual} elements, needs {needed}.");
    }

    public static void Active(string kernel, ReadOnlySpan<bool> active, int batch)
    {
        if (!active.IsEmpty && active.Length < batch) throw new ArgumentException($"{kernel}: active mask has {active.Length} rows, needs {batch} (or empty for all).");
    }

    public static void Units(string kernel, int j0, int j1, int hidden)
    {
        if (j0 < 0 || j1 > hidden || j0 > j1) throw new ArgumentException($"{kernel}: unit range [{j0}, {j1}) is not within the {hidden} hidden units.");
    }
}
