// Benchmarks entry point.
//   BenchmarkDotNet: dotnet run -c Release --project bench/Recurrent.Benchmarks -- --filter '*'
//   quick report:    dotnet run -c Release --project bench/Recurrent.Benchmarks -- quick [--threads N]
//   recurrent step:  dotnet run -c Release --project bench/Recurrent.Benchmarks -- layer [--mode lstm] [--threads N]
//   step phases:     dotnet run -c Release --project bench/Recurrent.Benchmarks -- phases [--cell lstm] [--hidden 256] [--threads N] [--mode train|infer]
//   train lm step:   dotnet run -c Release --project bench/Recurrent.Benchmarks -- lmstep [--threads N] [--ab NAME]
//   kernel shapes:   dotnet run -c Release --project bench/Recurrent.Benchmarks -- kern [--hidden 256] [--batch 32] [--steps 35]
//   LSTM step loops: dotnet run -c Release --project bench/Recurrent.Benchmarks -- loops [--ab NAME]
//   weight GEMMs:    dotnet run -c Release --project bench/Recurrent.Benchmarks -- dwgemm [--threads 2] [--reps 30] [--hot]
//   gate kernels:    dotnet run -c Release --project bench/Recurrent.Benchmarks -- gates   (BenchmarkDotNet: --filter '*GateKernel*')
using BenchmarkDotNet.Running;
using Recurrent.Benchmarks;

if (args.Length > 0 && args[0] == "quick") return QuickBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "layer") return LayerBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "phases") return PhaseBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "lmstep") return LmStepBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "loops") return LoopBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "dwgemm") return WeightGemmBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "ranges") return RangeBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "kern") return KernBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "gates") return GateKernelQuick.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
