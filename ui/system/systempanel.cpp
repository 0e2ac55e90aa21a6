#include "ui/system/systempanel.h"

#include "ui/system/sparkline.h"
#include "ui/system/systemmonitor.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>

#include <cmath>

namespace yolodeck {

namespace {
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr size_t kMaxPoints = size_t(SystemMonitor::kHistorySeconds);

QString dash()
{
    return QStringLiteral("\u2014");
}

QString gib(qint64 bytes)
{
    return QString::number(bytes / kGiB, 'f', 1);
}

QLabel *valueLabel()
{
    auto label = new QLabel(dash());
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setMinimumWidth(
        label->fontMetrics().horizontalAdvance(QStringLiteral("000.0 / 000.0 GiB")));
    return label;
}

double gpuUtil(const SystemSample &s, int index)
{
    for (const GpuSample &g : s.gpus) {
        if (g.index == index && g.utilizationPercent)
            return *g.utilizationPercent;
    }
    return qQNaN();
}

double gpuMemory(const SystemSample &s, int index)
{
    for (const GpuSample &g : s.gpus) {
        if (g.index == index && g.memoryShare())
            return *g.memoryShare() * 100.0;
    }
    return qQNaN();
}

double cpu(const SystemSample &s, int)
{
    return s.cpuPercent.value_or(qQNaN());
}

double ram(const SystemSample &s, int)
{
    return s.memoryTotalBytes > 0 ? 100.0 * s.memoryUsedBytes() / s.memoryTotalBytes : qQNaN();
}

double swap(const SystemSample &s, int)
{
    return s.swapTotalBytes > 0 ? 100.0 * s.swapUsedBytes() / s.swapTotalBytes : qQNaN();
}
} // namespace

SystemPanel::SystemPanel(QWidget *parent)
    : QWidget(parent)
{
    auto content = new QWidget;
    auto layout = new QVBoxLayout(content);

    m_watchBox = new QGroupBox(tr("Watched run"));
    auto watchGrid = new QGridLayout(m_watchBox);
    m_watchProcess = valueLabel();
    m_watchProcess->setWordWrap(true);
    m_watchCpu = valueLabel();
    m_watchMemory = valueLabel();
    m_watchGpuMemory = valueLabel();
    const QList<std::pair<QString, QLabel *>> watchRows = {
        {tr("Process"), m_watchProcess},
        {tr("Its CPU"), m_watchCpu},
        {tr("Its memory"), m_watchMemory},
        {tr("Its GPU memory"), m_watchGpuMemory}};
    for (int r = 0; r < watchRows.size(); ++r) {
        watchGrid->addWidget(new QLabel(watchRows[r].first), r, 0);
        watchGrid->addWidget(watchRows[r].second, r, 1);
    }
    watchGrid->setColumnStretch(1, 1);
    m_watchBox->setVisible(false);
    layout->addWidget(m_watchBox);

    m_gpuBox = new QGroupBox(tr("GPUs"));
    m_gpuGrid = new QGridLayout(m_gpuBox);
    m_gpuStatus = new QLabel(tr("Looking for NVIDIA GPUs…"));
    m_gpuStatus->setWordWrap(true);
    m_gpuGrid->addWidget(m_gpuStatus, 0, 0, 1, 7);
    layout->addWidget(m_gpuBox);

    m_systemBox = new QGroupBox(tr("System"));
    auto systemGrid = new QGridLayout(m_systemBox);
    auto addRow = [](QGridLayout *grid, int row, const QString &name, QLabel *value,
                     Sparkline *line) {
        grid->addWidget(new QLabel(name), row, 0);
        grid->addWidget(value, row, 1);
        if (line)
            grid->addWidget(line, row, 2);
    };
    m_cpu = valueLabel();
    m_cpuLine = new Sparkline;
    m_ram = valueLabel();
    m_ramLine = new Sparkline;
    m_ramLine->setColor(QColor(0x2c, 0xa0, 0x2c));
    m_swap = valueLabel();
    m_swapLine = new Sparkline;
    m_swapLine->setColor(QColor(0xd6, 0x27, 0x28));
    m_process = valueLabel();
    addRow(systemGrid, 0, tr("CPU"), m_cpu, m_cpuLine);
    addRow(systemGrid, 1, tr("RAM"), m_ram, m_ramLine);
    addRow(systemGrid, 2, tr("Swap"), m_swap, m_swapLine);
    addRow(systemGrid, 3, tr("This program"), m_process, nullptr);
    systemGrid->setColumnStretch(2, 1);
    layout->addWidget(m_systemBox);

    auto throughputBox = new QGroupBox(tr("Training throughput"));
    auto throughputGrid = new QGridLayout(throughputBox);
    m_imagesPerSecond = valueLabel();
    m_imagesLine = new Sparkline;
    m_imagesLine->setColor(QColor(0x94, 0x67, 0xbd));
    m_dataWait = valueLabel();
    m_dataWaitLine = new Sparkline;
    m_dataWaitLine->setColor(QColor(0xff, 0x7f, 0x0e));
    addRow(throughputGrid, 0, tr("Images/s"), m_imagesPerSecond, m_imagesLine);
    addRow(throughputGrid, 1, tr("Waiting for data"), m_dataWait, m_dataWaitLine);
    m_processesName = new QLabel(tr("Processes"));
    m_processes = valueLabel();
    m_processes->setToolTip(tr("Data-parallel training: the number of processes, and the share "
                               "of each step rank 0 spends averaging gradients with the others"));
    m_rankThroughputName = new QLabel(tr("Per rank"));
    m_rankThroughput = valueLabel();
    m_rankThroughput->setWordWrap(true);
    m_rankThroughput->setToolTip(tr("Images/s of each process over its previous step: a slow "
                                    "rank holds back every other one at the all-reduce"));
    throughputGrid->addWidget(m_processesName, 2, 0);
    throughputGrid->addWidget(m_processes, 2, 1, 1, 2);
    throughputGrid->addWidget(m_rankThroughputName, 3, 0);
    throughputGrid->addWidget(m_rankThroughput, 3, 1, 1, 2);
    showProcesses({});
    throughputGrid->setColumnStretch(2, 1);
    layout->addWidget(throughputBox);

    auto diagnosisBox = new QGroupBox(tr("Diagnosis"));
    auto diagnosisLayout = new QVBoxLayout(diagnosisBox);
    m_diagnosis = new QLabel(tr("The diagnosis starts when training runs."));
    m_diagnosis->setWordWrap(true);
    m_diagnosis->setTextFormat(Qt::RichText);
    m_diagnosis->setTextInteractionFlags(Qt::TextSelectableByMouse);
    diagnosisLayout->addWidget(m_diagnosis);
    layout->addWidget(diagnosisBox);
    layout->addStretch();

    auto scroll = new QScrollArea;
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);
}

void SystemPanel::setMonitor(SystemMonitor *monitor)
{
    if (m_monitor)
        disconnect(m_monitor, nullptr, this, nullptr);
    m_monitor = monitor;
    if (!monitor)
        return;
    connect(monitor, &SystemMonitor::sampleReady, this, &SystemPanel::showSample);
    connect(monitor, &SystemMonitor::findingsChanged, this, &SystemPanel::showFindings);
}

std::vector<double> SystemPanel::historyOf(double (*get)(const SystemSample &, int),
                                           int index) const
{
    const auto &history = m_monitor ? m_monitor->history() : m_localHistory;
    std::vector<double> out;
    out.reserve(history.size());
    for (const SystemSample &s : history)
        out.push_back(get(s, index));
    return out;
}

void SystemPanel::rebuildGpuRows(const SystemSample &sample)
{
    for (const GpuRow &row : m_gpuRows) {
        delete row.name;
        delete row.utilization;
        delete row.utilizationLine;
        delete row.memory;
        delete row.memoryLine;
        delete row.temperature;
        delete row.power;
    }
    m_gpuRows.clear();
    if (sample.gpus.empty())
        return;
    const QStringList headers = {tr("GPU"), tr("Utilisation"), QString(),          tr("Memory"),
                                 QString(), tr("Temperature"), tr("Power / limit")};
    if (m_gpuGrid->itemAtPosition(1, 0) == nullptr) {
        for (int c = 0; c < headers.size(); ++c) {
            auto header = new QLabel(headers.at(c));
            QFont bold = header->font();
            bold.setBold(true);
            header->setFont(bold);
            m_gpuGrid->addWidget(header, 1, c);
        }
    }
    for (size_t i = 0; i < sample.gpus.size(); ++i) {
        GpuRow row;
        row.name = new QLabel;
        row.utilization = valueLabel();
        row.utilizationLine = new Sparkline;
        row.memory = valueLabel();
        row.memoryLine = new Sparkline;
        row.memoryLine->setColor(QColor(0x2c, 0xa0, 0x2c));
        row.temperature = valueLabel();
        row.temperature->setMinimumWidth(0);
        row.power = valueLabel();
        const int r = int(i) + 2;
        m_gpuGrid->addWidget(row.name, r, 0);
        m_gpuGrid->addWidget(row.utilization, r, 1);
        m_gpuGrid->addWidget(row.utilizationLine, r, 2);
        m_gpuGrid->addWidget(row.memory, r, 3);
        m_gpuGrid->addWidget(row.memoryLine, r, 4);
        m_gpuGrid->addWidget(row.temperature, r, 5);
        m_gpuGrid->addWidget(row.power, r, 6);
        m_gpuRows.push_back(row);
    }
    m_gpuGrid->setColumnStretch(2, 1);
    m_gpuGrid->setColumnStretch(4, 1);
}

void SystemPanel::showSample(const SystemSample &sample)
{
    if (!m_monitor) {
        m_localHistory.push_back(sample);
        while (m_localHistory.size() > kMaxPoints)
            m_localHistory.pop_front();
    }

    m_gpuStatus->setVisible(sample.gpus.empty());
    if (!sample.gpuAvailable)
        m_gpuStatus->setText(sample.gpuStatus.isEmpty() ? tr("No NVIDIA GPU / driver not found.")
                                                        : sample.gpuStatus);
    else if (sample.gpus.empty())
        m_gpuStatus->setText(tr("The NVIDIA driver reports no GPU."));
    if (m_gpuRows.size() != sample.gpus.size())
        rebuildGpuRows(sample);
    for (size_t i = 0; i < sample.gpus.size(); ++i) {
        const GpuSample &g = sample.gpus[i];
        GpuRow &row = m_gpuRows[i];
        row.name->setText(tr("%1: %2").arg(g.index).arg(g.name));
        row.utilization->setText(
            g.utilizationPercent ? tr("%1%").arg(*g.utilizationPercent, 0, 'f', 0) : dash());
        row.utilizationLine->setValues(historyOf(&gpuUtil, g.index));
        if (g.memoryUsedBytes && g.memoryTotalBytes)
            row.memory->setText(
                tr("%1 / %2 GiB").arg(gib(*g.memoryUsedBytes), gib(*g.memoryTotalBytes)));
        else
            row.memory->setText(dash());
        row.memoryLine->setValues(historyOf(&gpuMemory, g.index));
        row.temperature->setText(
            g.temperatureCelsius ? tr("%1 °C").arg(*g.temperatureCelsius, 0, 'f', 0) : dash());
        if (g.powerWatts && g.powerLimitWatts)
            row.power->setText(
                tr("%1 / %2 W").arg(*g.powerWatts, 0, 'f', 0).arg(*g.powerLimitWatts, 0, 'f', 0));
        else if (g.powerWatts)
            row.power->setText(tr("%1 W").arg(*g.powerWatts, 0, 'f', 0));
        else
            row.power->setText(dash());
    }

    m_cpu->setText(sample.cpuPercent ? tr("%1%").arg(*sample.cpuPercent, 0, 'f', 0) : dash());
    m_cpuLine->setValues(historyOf(&cpu, 0));
    m_ram->setText(
        sample.memoryTotalBytes > 0
            ? tr("%1 / %2 GiB").arg(gib(sample.memoryUsedBytes()), gib(sample.memoryTotalBytes))
            : dash());
    m_ramLine->setValues(historyOf(&ram, 0));
    m_swap->setText(
        sample.swapTotalBytes > 0
            ? tr("%1 / %2 GiB").arg(gib(sample.swapUsedBytes()), gib(sample.swapTotalBytes))
            : tr("no swap"));
    m_swapLine->setValues(historyOf(&swap, 0));
    m_process->setText(tr("%1 GiB resident").arg(gib(sample.processResidentBytes)));

    // A watched run's throughput comes from its own batch lines (showWatchedRun).
    if (m_watching)
        return;
    // Throughput is sampled at the same 1 Hz so its sparkline lines up with the others.
    const ThroughputStats stats = m_monitor ? m_monitor->throughput() : ThroughputStats{};
    const bool known = stats.training && stats.imagesPerSecond >= 0;
    m_throughputHistory.emplace_back(known ? stats.imagesPerSecond : qQNaN(),
                                     known && stats.dataWaitShare >= 0 ? stats.dataWaitShare * 100
                                                                       : qQNaN());
    while (m_throughputHistory.size() > kMaxPoints)
        m_throughputHistory.pop_front();
    m_imagesPerSecond->setText(known ? tr("%1").arg(stats.imagesPerSecond, 0, 'f', 1) : dash());
    m_dataWait->setText(known && stats.dataWaitShare >= 0
                            ? tr("%1% of each step").arg(stats.dataWaitShare * 100, 0, 'f', 0)
                            : dash());
    std::vector<double> images;
    std::vector<double> waits;
    for (const auto &[i, w] : m_throughputHistory) {
        images.push_back(i);
        waits.push_back(w);
    }
    m_imagesLine->setValues(images, 0);
    m_dataWaitLine->setValues(waits, 100);
}

void SystemPanel::showFindings(const std::vector<Finding> &findings)
{
    const bool training = m_monitor && m_monitor->throughput().training;
    if (m_watching && m_watchState == ProcessState::Gone) {
        m_diagnosis->setText(
            tr("Process %1 is no longer running and the run never wrote its end: it crashed or "
               "was killed. Resume it from last.pt in the Checkpoints tab.")
                .arg(m_watchPid)
                .toHtmlEscaped());
        return;
    }
    if (findings.empty()) {
        m_diagnosis->setText(training ? tr("No problem found: the run looks healthy.")
                                      : tr("The diagnosis starts when training runs."));
        return;
    }
    QString html = QStringLiteral("<ul style=\"margin-left:-20px\">");
    for (const Finding &f : findings)
        html += QStringLiteral("<li>") + f.text.toHtmlEscaped() + QStringLiteral("</li>");
    html += QStringLiteral("</ul>");
    m_diagnosis->setText(html);
}

void SystemPanel::showProcesses(const ProcessStats &stats)
{
    const int worldSize = qMax(stats.worldSize, int(stats.rankImagesPerSecond.size()));
    const bool shown = worldSize > 1;
    for (QLabel *label : {m_processesName, m_processes, m_rankThroughputName, m_rankThroughput})
        label->setVisible(shown);
    if (!shown)
        return;
    m_processes->setText(stats.commShare >= 0 ? tr("%1 · all-reduce %2% of each step")
                                                    .arg(worldSize)
                                                    .arg(stats.commShare * 100, 0, 'f', 0)
                                              : QString::number(worldSize));
    QStringList ranks;
    for (size_t rank = 0; rank < stats.rankImagesPerSecond.size(); ++rank)
        ranks << tr("rank %1 %2 img/s").arg(rank).arg(stats.rankImagesPerSecond[rank], 0, 'f', 0);
    m_rankThroughput->setText(ranks.isEmpty() ? dash() : ranks.join(QStringLiteral(" · ")));
}

void SystemPanel::showWatchedRun(const RunFigures &figures)
{
    m_watching = true;
    m_watchPid = figures.pid;
    m_watchState = processState(figures.pid, figures.host);
    const bool here = isThisMachine(figures.host);
    const bool known = figures.pid > 0 && !figures.host.isEmpty();
    QString process = known ? tr("pid %1 on %2").arg(figures.pid).arg(figures.host)
                            : tr("not recorded (a run written before YoloDeck recorded it)");
    if (known && here)
        process += m_watchState == ProcessState::Gone ? tr(" (this machine; no longer running)")
                                                      : tr(" (this machine)");
    else if (known)
        process += tr(" (another machine: this machine's GPU and system figures are hidden)");
    m_watchProcess->setText(process);
    const ThroughputStats &recent = figures.recent;
    m_watchCpu->setText(figures.processCpuPercent
                            ? (recent.cores > 0
                                   ? tr("%1% (100% = one core; %2 cores)")
                                         .arg(*figures.processCpuPercent, 0, 'f', 0)
                                         .arg(recent.cores)
                                   : tr("%1%").arg(*figures.processCpuPercent, 0, 'f', 0))
                            : dash());
    m_watchMemory->setText(
        figures.residentBytes ? tr("%1 GiB resident").arg(gib(*figures.residentBytes)) : dash());
    QString gpu = figures.gpuMemoryBytes ? tr("%1 GiB").arg(gib(*figures.gpuMemoryBytes)) : dash();
    if (figures.gpuMemoryBytes && !recent.gpuName.isEmpty())
        gpu = recent.gpuUtilizationPercent >= 0
                  ? tr("%1 GiB on %2, %3% busy")
                        .arg(gib(*figures.gpuMemoryBytes), recent.gpuName)
                        .arg(recent.gpuUtilizationPercent, 0, 'f', 0)
                  : tr("%1 GiB on %2").arg(gib(*figures.gpuMemoryBytes), recent.gpuName);
    m_watchGpuMemory->setText(gpu);
    m_watchBox->setVisible(true);
    // Another machine's run: this machine's rows would read as the run's, so they go.
    m_gpuBox->setVisible(here || !known);
    m_systemBox->setVisible(here || !known);

    const bool live = recent.training && m_watchState != ProcessState::Gone;
    m_imagesPerSecond->setText(live && recent.imagesPerSecond >= 0
                                   ? tr("%1").arg(recent.imagesPerSecond, 0, 'f', 1)
                                   : dash());
    m_dataWait->setText(live && recent.dataWaitShare >= 0
                            ? tr("%1% of each step").arg(recent.dataWaitShare * 100, 0, 'f', 0)
                            : dash());
    std::vector<double> images;
    std::vector<double> waits;
    for (const RunFigures::Point &p : figures.points) {
        images.push_back(p.imagesPerSecond);
        waits.push_back(p.waitPercent);
    }
    m_imagesLine->setValues(images, 0);
    m_dataWaitLine->setValues(waits, 100);
    m_throughputHistory.clear();
    // The process may have died with nothing else changed: the text says so at once.
    showFindings(m_monitor ? m_monitor->findings() : std::vector<Finding>{});
}

void SystemPanel::clearWatchedRun()
{
    if (!m_watching)
        return;
    m_watching = false;
    m_watchState = ProcessState::Unknown;
    m_watchBox->setVisible(false);
    m_gpuBox->setVisible(true);
    m_systemBox->setVisible(true);
    m_imagesPerSecond->setText(dash());
    m_dataWait->setText(dash());
    m_imagesLine->setValues({}, 0);
    m_dataWaitLine->setValues({}, 100);
    showFindings(m_monitor ? m_monitor->findings() : std::vector<Finding>{});
}

QString SystemPanel::watchedText() const
{
    if (!m_watching)
        return {};
    return QStringList{m_watchProcess->text(), m_watchCpu->text(), m_watchMemory->text(),
                       m_watchGpuMemory->text()}
        .join(QStringLiteral(" | "));
}

QString SystemPanel::throughputText() const
{
    return m_imagesPerSecond->text() + QStringLiteral(" | ") + m_dataWait->text();
}

bool SystemPanel::machineRowsShown() const
{
    return !m_gpuBox->isHidden() && !m_systemBox->isHidden();
}

QString SystemPanel::gpuRowText(int row) const
{
    if (row < 0 || row >= gpuRowCount())
        return {};
    const GpuRow &r = m_gpuRows[size_t(row)];
    return QStringList{r.name->text(), r.utilization->text(), r.memory->text(),
                       r.temperature->text(), r.power->text()}
        .join(QStringLiteral(" | "));
}

QString SystemPanel::gpuStatusText() const
{
    return m_gpuStatus->isVisibleTo(this) ? m_gpuStatus->text() : QString();
}

QString SystemPanel::systemText() const
{
    return QStringList{m_cpu->text(), m_ram->text(), m_swap->text(), m_process->text()}.join(
        QStringLiteral(" | "));
}

QString SystemPanel::diagnosisText() const
{
    return m_diagnosis->text();
}

QString SystemPanel::processesText() const
{
    if (!m_processes->isVisibleTo(this))
        return {};
    return m_processes->text() + QStringLiteral(" | ") + m_rankThroughput->text();
}

} // namespace yolodeck
