#pragma once

#include <QJsonArray>

#include <vector>

namespace yolodeck {

// The learning-rate factor of each epoch, a pure function of the configuration and of how the run
// was extended. Ultralytics' lambdas (REFERENCE.md): linear max(1 - x/E, 0)·(1 - lrf) + lrf, cosine
// ((1 - cos(x·π/E)) / 2)·(lrf - 1) + 1. When a resumed run raises `epochs`, the schedule does not
// jump: from the last epoch trained before the resume (N - 1) it runs from the factor that epoch
// used down to lrf at the new end, with the same shape.
class LrSchedule
{
public:
    LrSchedule(int epochs, double lrf, bool cosine);

    // "Train to newEpochs": only valid when newEpochs > epochs() and fromEpoch <= epochs().
    void extend(int fromEpoch, int newEpochs);
    int epochs() const;                         // the end of the schedule, extensions included
    int baseEpochs() const { return m_epochs; } // the schedule the run started with
    double factor(int epoch) const;             // epoch 0-based, as torch's LambdaLR counts

    QJsonArray extensionsToJson() const;
    void extensionsFromJson(const QJsonArray &json);

private:
    struct Extension
    {
        int fromEpoch;
        int toEpoch;
        double startFactor;
    };
    double baseFactor(int epoch) const;

    int m_epochs;
    double m_lrf;
    bool m_cosine;
    std::vector<Extension> m_extensions;
};

} // namespace yolodeck
