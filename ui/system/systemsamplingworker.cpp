#include "ui/system/systemsamplingworker.h"

#include "core/monitor/nvmllibrary.h"
#include "core/monitor/systemsampler.h"

#include <QTimer>

namespace yolodeck {

SystemSamplingWorker::SystemSamplingWorker(int intervalMs, QObject *parent)
    : QObject(parent)
    , m_intervalMs(intervalMs)
{}

SystemSamplingWorker::~SystemSamplingWorker() = default;

void SystemSamplingWorker::start()
{
    if (!m_sampler) {
        m_sampler = std::make_unique<SystemSampler>();
        m_nvml = std::make_unique<NvmlLibrary>();
    }
    if (!m_timer) {
        m_timer = new QTimer(this);
        m_timer->setInterval(m_intervalMs);
        connect(m_timer, &QTimer::timeout, this, &SystemSamplingWorker::sampleNow);
    }
    m_timer->start();
    sampleNow();
}

void SystemSamplingWorker::stop()
{
    delete m_timer;
    m_timer = nullptr;
    m_nvml.reset(); // nvmlShutdown on the thread that initialised it
    m_sampler.reset();
}

void SystemSamplingWorker::sampleNow()
{
    if (!m_sampler)
        return;
    SystemSample s = m_sampler->sample();
    s.gpuAvailable = m_nvml->isAvailable();
    s.gpuStatus = m_nvml->statusText();
    s.gpus = m_nvml->sample();
    Q_EMIT sampled(s);
}

} // namespace yolodeck
