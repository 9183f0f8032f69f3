using Recurrent.Training;

namespace Recurrent.Tests.Tasks;

public class MetricsTests
{
    [Fact]
    public void ForecastErrorsByHand()
    {
        double[] y = [1, 2, 0, 4], p = [2, 2, 1, 2];
        Assert.Equal((1 + 0 + 1 + 4) / 4.0, ForecastMetrics.Mse(y, p), 12);
        Assert.Equal(Math.Sqrt(1.5), ForecastMetrics.Rmse(y, p), 12);
        Assert.Equal(1.0, ForecastMetrics.Mae(y, p), 12);
        // MAPE skips the zero target: (|1−2|/1 + 0 + |4−2|/4) / 3 = 1.5/3
        Assert.Equal(50.0, ForecastMetrics.Mape(y, p), 12);
        Assert.True(double.IsNaN(ForecastMetrics.Mape([0.0, 0.0], [1.0, 2.0])));
    }

    [Fact]
    public void MaseScalesByInSampleNaiveError()
    {
        double[] train = [1, 3, 2, 4];                  // naive errors 2, 1, 2 → scale 5/3
        Assert.Equal(5.0 / 3, ForecastMetrics.NaiveScale(train), 12);
        Assert.Equal(1.0 / (5.0 / 3), ForecastMetrics.Mase([5.0], [4.0], train), 12);
        Assert.Equal(1.0, ForecastMetrics.NaiveScale(train, season: 2), 12);   // (|2−1| + |4−3|) / 2
    }

    [Fact]
    public void ConfusionAccuracyAndMacroF1()
    {
        int[] y = [0, 0, 0, 1, 1, 2], p = [0, 0, 1, 1, 2, 2];
        var cm = ClassificationMetrics.ConfusionMatrix(y, p, 3);
        Assert.Equal(2, cm[0, 0]);
        Assert.Equal(1, cm[0, 1]);
        Assert.Equal(1, cm[1, 2]);
        Assert.Equal(4.0 / 6, ClassificationMetrics.Accuracy(y, p), 12);
        // F1: class0 = 2·2/(4+0+1) = 0.8; class1 = 2/(2+1+1) = 0.5; class2 = 2/(2+1+0) = 2/3
        var f1 = ClassificationMetrics.PerClassF1(cm);
        Assert.Equal(0.8, f1[0], 12);
        Assert.Equal(0.5, f1[1], 12);
        Assert.Equal(2.0 / 3, f1[2], 12);
        Assert.Equal((0.8 + 0.5 + 2.0 / 3) / 3, ClassificationMetrics.MacroF1(cm), 12);
    }

    [Fact]
    public void MacroF1PunishesIgnoringTheRareClass()
    {
        int[] y = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1], p = new int[10];
        Assert.Equal(0.9, ClassificationMetrics.Accuracy(y, p), 12);
        Assert.Equal((2 * 9.0 / 19 + 0) / 2, ClassificationMetrics.MacroF1(y, p, 2), 12);
        // A class that neither occurs nor is predicted is left out of the mean.
        Assert.Equal(ClassificationMetrics.MacroF1(y, p, 2), ClassificationMetrics.MacroF1(y, p, 3), 12);
    }
}
