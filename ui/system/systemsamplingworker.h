#pragma once

#include "core/monitor/systemsample.h"

#include <QObject>

#include <memory>

class QTimer;

namespace yolodeck {

class NvmlLibrary;
class SystemSampler;

// Lives on the system monitor's own thread: opens NVML there (dlopen and nvmlInit can take a
// while) and samples /proc and every GPU once per interval. Everything it owns is created in
// start() and destroyed in stop(), on that thread.
class SystemSamplingWorker final : public QObject
{
    Q_OBJECT

public:
    explicit SystemSamplingWorker(int intervalMs, QObject *parent = nullptr);
    ~SystemSamplingWorker() override;

public Q_SLOTS:
    void start();
    void stop();
    void sampleNow();

Q_SIGNALS:
    void sampled(const yolodeck::SystemSample &sample);

private:
    int m_intervalMs;
    QTimer *m_timer = nullptr;
    std::unique_ptr<NvmlLibrary> m_nvml;
    std::unique_ptr<SystemSampler> m_sampler;
};

} // namespace yolodeck
