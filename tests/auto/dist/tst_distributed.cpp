// Data-parallel training over Gloo on loopback (DESIGN.md §9): rank 0 runs in this process, the
// other ranks are yolodeck-cli processes started by the trainer (nproc=) or by torchrun.
#include "../train/recordingobserver.h"
#include "core/checkpoint/checkpointfile.h"
#include "core/data/datasetconfig.h"
#include "core/data/synthdataset.h"
#include "core/dist/locallauncher.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/train/modelstate.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainer.h"
#include "core/train/validator.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <csignal>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace yolodeck;

namespace {

// The pids of this process's children whose command line starts with yolodeck-cli.
QList<pid_t> rankProcesses()
{
    QList<pid_t> out;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &e : entries) {
        bool ok = false;
        const pid_t pid = pid_t(e.toInt(&ok));
        if (!ok)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray text = stat.readAll();
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields[1].toInt() == ::getpid()) {
            QFile cmd(QStringLiteral("/proc/%1/cmdline").arg(pid));
            if (cmd.open(QIODevice::ReadOnly) && cmd.readAll().contains("yolodeck-cli"))
                out << pid;
        }
    }
    return out;
}

QStringList csvRowsWithoutTime(const QString &runDir)
{
    QFile f(runDir + QStringLiteral("/results.csv"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QStringList rows = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    const int time = rows.value(0).split(QLatin1Char(',')).indexOf(QStringLiteral("time"));
    for (QString &row : rows) {
        QStringList cells = row.split(QLatin1Char(','));
        if (time >= 0 && time < cells.size())
            cells.removeAt(time);
        row = cells.join(QLatin1Char(','));
    }
    return rows;
}

std::map<std::string, torch::Tensor> tensorsOf(const QString &path)
{
    Result<CheckpointData> loaded = loadCheckpoint(path);
    if (!loaded)
        qWarning("%s", qPrintable(loaded.error()));
    return loaded ? loaded.value().tensors : std::map<std::string, torch::Tensor>{};
}

// The last event of a type in a run's events.jsonl (empty when there is none).
QJsonObject lastEvent(const QString &runDir, const QString &type)
{
    QFile events(runDir + QStringLiteral("/events.jsonl"));
    QJsonObject last;
    if (!events.open(QIODevice::ReadOnly))
        return last;
    for (const QByteArray &line : events.readAll().split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        if (e.value(QStringLiteral("type")).toString() == type)
            last = e;
    }
    return last;
}

// A TCP port held open (listening on every interface) while the object lives.
class HeldPort
{
public:
    HeldPort()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        a.sin_port = 0;
        ::bind(m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
        ::listen(m_fd, 4);
        socklen_t len = sizeof a;
        ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&a), &len);
        m_port = ntohs(a.sin_port);
    }
    ~HeldPort() { close(); }
    void close()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }
    int port() const { return m_port; }

private:
    int m_fd = -1;
    int m_port = 0;
};

} // namespace

class TestDistributed : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void twoRanksTrainAsOneProcess();
    void shardedValidationEqualsOneProcess();
    void stoppedAndResumedIsBitExact();
    void otherWorldSizeResumesNotExact();
    void pauseHoldsEveryRank();
    void killedRankEndsTheJob();
    void hungRankEndsTheJobAfterTheTimeout();
    void torchrunStartsTheCli_data();
    void torchrunStartsTheCli();
    void badRendezvousIsOneLine();
    void batchMustSplit();

private:
    TrainConfig baseConfig(const QString &name) const;

    QTemporaryDir m_dir;
    QString m_yaml;
    QString m_stoppedRun; // a 2-rank run stopped mid-epoch (stoppedAndResumedIsBitExact)
};

void TestDistributed::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFileInfo(QStringLiteral(YOLODECK_CLI)).isExecutable(), YOLODECK_CLI);
    dist::setWorkerProgram(QStringLiteral(YOLODECK_CLI));
    SynthOptions o;
    o.dir = m_dir.filePath(QStringLiteral("synth"));
    o.train = 48;
    o.val = 24;
    o.imgsz = 64;
    o.classes = 3;
    QVERIFY(writeSynthDataset(o).isOk());
    m_yaml = o.dir + QStringLiteral("/data.yaml");
}

TrainConfig TestDistributed::baseConfig(const QString &name) const
{
    TrainConfig c;
    c.data = m_yaml;
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 8; // the global batch: 4 per rank with nproc=2; validation batches of 16
    c.epochs = 2;
    c.workers = 1;
    c.threads = 1;
    c.closeMosaic = 1;
    c.strip = false;
    c.savePeriod = 1;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    c.name = name;
    return c;
}

// Two ranks at global batch 8 against one process at batch 8, BatchNorm on running statistics
// (per-rank batch statistics differ by design): after 2 epochs (12 optimizer steps of SGD with
// Nesterov momentum, warmup, mosaic then plain) every parameter and buffer agrees within 1e-5
// (measured: 4.8e-7); the gradients differ only in the order of floating-point sums.
void TestDistributed::twoRanksTrainAsOneProcess()
{
    RunFinished runs[2];
    for (int nproc : {1, 2}) {
        TrainConfig c = baseConfig(QStringLiteral("equal-%1").arg(nproc));
        c.nproc = nproc;
        c.optimizer = QStringLiteral("SGD");
        Trainer trainer(c);
        trainer.setBatchNormFrozen(true);
        RecordingObserver observer;
        runs[nproc - 1] = trainer.run(&observer);
        QVERIFY2(!runs[nproc - 1].failed, qPrintable(runs[nproc - 1].message));
        QCOMPARE(observer.started.front().worldSize, nproc);
        if (nproc == 2) {
            QCOMPARE(int(observer.batches.back().rankImagesPerSecond.size()), 2);
            QVERIFY(observer.batches.back().rankImagesPerSecond[1] > 0);
        }
    }
    const auto one = tensorsOf(runs[0].runDir + QStringLiteral("/weights/epoch2.pt"));
    const auto two = tensorsOf(runs[1].runDir + QStringLiteral("/weights/epoch2.pt"));
    QVERIFY(!one.empty() && !two.empty());
    int compared = 0;
    double worst = 0;
    for (const auto &[key, tensor] : one) {
        if (key.rfind("model.", 0) != 0 || !tensor.is_floating_point())
            continue;
        QVERIFY2(two.count(key), key.c_str());
        worst = std::max(worst, (tensor - two.at(key)).abs().max().item<double>());
        ++compared;
    }
    qInfo("%d parameter and buffer tensors, largest difference %.3g", compared, worst);
    QVERIFY(compared > 100);
    QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
    // The second rank's own state travels in the checkpoint.
    QVERIFY(two.count("rank1.rng.cpu"));
    QVERIFY(two.count("rank1.model.model.0.bn.running_mean") ||
            std::any_of(two.begin(), two.end(),
                        [](const auto &kv) { return kv.first.rfind("rank1.model.", 0) == 0; }));

    const QJsonObject meta =
        loadCheckpoint(runs[1].runDir + QStringLiteral("/weights/last.pt")).value().meta;
    QCOMPARE(meta.value(QStringLiteral("world_size")).toInt(), 2);
    QCOMPARE(meta.value(QStringLiteral("ranks")).toArray().size(), 2);
}

// Validation sharded over 2 ranks scores exactly what one process scores. A model trained here
// until it detects (mAP50-95 > 0), then fine-tuned from with nproc=2: the fine-tune's starting
// point (epoch 0) is validated by both ranks and must equal a one-process validation of the same
// weights, metric for metric and loss for loss, to the last bit.
void TestDistributed::shardedValidationEqualsOneProcess()
{
    TrainConfig c = baseConfig(QStringLiteral("learned"));
    c.nbs = 8;
    c.warmupEpochs = 0;
    c.mosaic = 0;
    c.epochs = 20;
    c.savePeriod = -1;
    c.val = false;
    QString weights;
    {
        Trainer trainer(c);
        RecordingObserver observer;
        const RunFinished done = trainer.run(&observer);
        QVERIFY2(!done.failed, qPrintable(done.message));
        weights = done.runDir + QStringLiteral("/weights/epoch20.pt");
    }
    TrainConfig f = baseConfig(QStringLiteral("fine-tuned"));
    f.model = weights;
    f.nproc = 2;
    f.epochs = 1;
    RunFinished tuned;
    {
        Trainer trainer(f);
        RecordingObserver observer;
        tuned = trainer.run(&observer);
        QVERIFY2(!tuned.failed, qPrintable(tuned.message));
    }
    const QJsonObject baseline = lastEvent(tuned.runDir, QStringLiteral("baseline"));
    QVERIFY(!baseline.isEmpty());

    torch::set_num_threads(1);
    const CheckpointData state = loadCheckpoint(weights).value();
    YoloModel model(*modelScale(QStringLiteral("tiny")), 3);
    QVERIFY(loadNamedState(*model, state.tensors, "ema.", true).isOk());
    const Dataset valSet = Dataset::scan(DatasetConfig::load(m_yaml).value(), Split::Val).value();
    ValidationOptions vo;
    vo.imgsz = 64;
    vo.batch = 16; // twice the training batch, as the trainer validates: 2 batches, one per rank
    vo.workers = 1;
    Validator validator(valSet, vo);
    const DetectionLoss criterion(3, model->strides(), LossGains{}, model->regMax());
    const ValidationOutput one = validator.run(*model, torch::kCPU, &criterion);
    qInfo("mAP50 %.6f, mAP50-95 %.6f by one process; %.6f, %.6f by two", one.metrics.map50,
          one.metrics.map50_95, baseline.value(QStringLiteral("metrics/mAP50(B)")).toDouble(),
          baseline.value(QStringLiteral("metrics/mAP50-95(B)")).toDouble());
    QVERIFY(one.metrics.map50_95 > 0);
    QCOMPARE(baseline.value(QStringLiteral("metrics/mAP50-95(B)")).toDouble(),
             one.metrics.map50_95);
    QCOMPARE(baseline.value(QStringLiteral("metrics/mAP50(B)")).toDouble(), one.metrics.map50);
    QCOMPARE(baseline.value(QStringLiteral("metrics/precision(B)")).toDouble(),
             one.metrics.precision);
    QCOMPARE(baseline.value(QStringLiteral("metrics/recall(B)")).toDouble(), one.metrics.recall);
    QCOMPARE(baseline.value(QStringLiteral("val/box_loss")).toDouble(), one.loss[0]);
    QCOMPARE(baseline.value(QStringLiteral("val/cls_loss")).toDouble(), one.loss[1]);
    QCOMPARE(baseline.value(QStringLiteral("val/dfl_loss")).toDouble(), one.loss[2]);
}

// A 2-rank run stopped mid-epoch and resumed with 2 ranks ends with the same bits as the
// uninterrupted 2-rank run: every tensor of the final epochN.pt (both ranks' own state included)
// and every results.csv row but the time column.
void TestDistributed::stoppedAndResumedIsBitExact()
{
    TrainConfig c = baseConfig(QStringLiteral("straight"));
    c.nproc = 2;
    {
        Trainer trainer(c);
        RecordingObserver observer;
        const RunFinished done = trainer.run(&observer);
        QVERIFY2(!done.failed, qPrintable(done.message));
    }
    c.name = QStringLiteral("stopped");
    QString stoppedDir;
    {
        Trainer trainer(c);
        RecordingObserver observer;
        observer.onBatch = [&](const BatchProgress &p) {
            if (p.epoch == 2 && p.batch == 3)
                trainer.requestStop();
        };
        const RunFinished done = trainer.run(&observer);
        QVERIFY2(!done.failed, qPrintable(done.message));
        QVERIFY(done.stopped);
        stoppedDir = done.runDir;
    }
    const QString last = stoppedDir + QStringLiteral("/weights/last.pt");
    const auto stopped = tensorsOf(last);
    QVERIFY(std::any_of(stopped.begin(), stopped.end(),
                        [](const auto &kv) { return kv.first.rfind("rank1.grad.", 0) == 0; }) ||
            std::any_of(stopped.begin(), stopped.end(),
                        [](const auto &kv) { return kv.first.rfind("rank1.rng", 0) == 0; }));
    m_stoppedRun = stoppedDir;
    {
        ResumePlan plan =
            ResumePlanner::plan(last, {{QStringLiteral("nproc"), QStringLiteral("2")}});
        QVERIFY2(plan.mode == ResumePlan::Mode::Continue, qPrintable(plan.summary()));
        QVERIFY2(plan.exact, qPrintable(plan.summary()));
        Trainer trainer(plan);
        RecordingObserver observer;
        const RunFinished done = trainer.run(&observer);
        QVERIFY2(!done.failed, qPrintable(done.message));
        QVERIFY(observer.warnings.filter(QStringLiteral("not exact")).isEmpty());
    }
    const QString straightDir = m_dir.filePath(QStringLiteral("runs/straight"));
    const auto a = tensorsOf(straightDir + QStringLiteral("/weights/epoch2.pt"));
    const auto b = tensorsOf(stoppedDir + QStringLiteral("/weights/epoch2.pt"));
    QVERIFY(!a.empty());
    QCOMPARE(a.size(), b.size());
    int rankOwn = 0;
    for (const auto &[key, tensor] : a) {
        if (key == "rng.cpu" || key.rfind("rank1.rng", 0) == 0)
            continue;
        QVERIFY2(b.count(key), key.c_str());
        QVERIFY2(torch::equal(tensor, b.at(key)), key.c_str());
        rankOwn += key.rfind("rank1.", 0) == 0;
    }
    QVERIFY(rankOwn > 0);
    QCOMPARE(csvRowsWithoutTime(stoppedDir), csvRowsWithoutTime(straightDir));
}

// The mid-epoch checkpoint of 2 ranks resumed by one process: allowed, said, marked not exact.
void TestDistributed::otherWorldSizeResumesNotExact()
{
    QVERIFY2(!m_stoppedRun.isEmpty(), "needs stoppedAndResumedIsBitExact");
    // The resumed run above continued in place; its epoch1.pt is an epoch boundary of 2 ranks.
    const QString epoch1 = m_stoppedRun + QStringLiteral("/weights/epoch1.pt");
    ResumePlan plan = ResumePlanner::plan(epoch1, {{QStringLiteral("nproc"), QStringLiteral("1")}});
    QVERIFY2(plan.mode == ResumePlan::Mode::Branch, qPrintable(plan.summary()));
    Trainer trainer(plan);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QVERIFY2(!observer.warnings.filter(QStringLiteral("written by 2 training process")).isEmpty(),
             qPrintable(observer.warnings.join(QLatin1Char('\n'))));
    QVERIFY(!observer.started.front().exact);
    const QJsonObject meta =
        loadCheckpoint(done.runDir + QStringLiteral("/weights/last.pt")).value().meta;
    QCOMPARE(meta.value(QStringLiteral("exact")).toBool(), false);
    QCOMPARE(meta.value(QStringLiteral("world_size")).toInt(), 1);
}

// Pause on rank 0 holds rank 1 too, for longer than dist_timeout, and the job then goes on.
void TestDistributed::pauseHoldsEveryRank()
{
    TrainConfig c = baseConfig(QStringLiteral("paused"));
    c.nproc = 2;
    c.epochs = 1;
    c.distTimeout = 2;
    Trainer trainer(c);
    RecordingObserver observer;
    std::thread unpause;
    QElapsedTimer paused;
    observer.onBatch = [&](const BatchProgress &p) {
        if (p.batch == 2 && !paused.isValid()) {
            trainer.setPaused(true);
            paused.start();
            unpause = std::thread([&trainer] {
                std::this_thread::sleep_for(std::chrono::milliseconds(4500));
                trainer.setPaused(false);
            });
        }
    };
    const RunFinished done = trainer.run(&observer);
    unpause.join();
    QVERIFY2(!done.failed, qPrintable(done.message));
    QVERIFY(paused.elapsed() >= 4500);
    QCOMPARE(observer.batches.back().batch, observer.batches.back().batches);
}

// SIGKILL of rank 1 after the first epoch: rank 0 fails at once with a message naming rank 1,
// last.pt (epoch 1) loads and resumes, and no temporary file is left in weights/.
void TestDistributed::killedRankEndsTheJob()
{
    TrainConfig c = baseConfig(QStringLiteral("killed"));
    c.nproc = 2;
    c.epochs = 3;
    Trainer trainer(c);
    RecordingObserver observer;
    QElapsedTimer sinceKill;
    observer.onBatch = [&](const BatchProgress &p) {
        if (p.epoch == 2 && p.batch == 2 && !sinceKill.isValid()) {
            const QList<pid_t> ranks = rankProcesses();
            QCOMPARE(ranks.size(), 1);
            ::kill(ranks.front(), SIGKILL);
            sinceKill.start();
        }
    };
    const RunFinished done = trainer.run(&observer);
    QVERIFY(sinceKill.isValid());
    QVERIFY(done.failed);
    qInfo("ended %.1f s after the kill: %s", sinceKill.elapsed() / 1000.0,
          qPrintable(done.message));
    QVERIFY(sinceKill.elapsed() < 30000);
    QVERIFY2(done.message.contains(QLatin1String("rank 1")), qPrintable(done.message));
    QVERIFY2(done.message.contains(QLatin1String("SIGKILL")), qPrintable(done.message));
    const QString last = done.runDir + QStringLiteral("/weights/last.pt");
    QVERIFY2(done.message.contains(last), qPrintable(done.message));
    // Only finished files under final names: no ".last.pt.tmp-..." left by an interrupted save.
    const QStringList leftovers = QDir(done.runDir + QStringLiteral("/weights"))
                                      .entryList(QDir::Files | QDir::Hidden)
                                      .filter(QRegularExpression(QStringLiteral("tmp|^\\.")));
    QVERIFY2(leftovers.isEmpty(), qPrintable(leftovers.join(QLatin1Char(' '))));
    QCOMPARE(loadCheckpoint(last).value().meta.value(QStringLiteral("epoch")).toInt(), 1);
    ResumePlan plan = ResumePlanner::plan(last, {});
    QVERIFY2(plan.mode == ResumePlan::Mode::Continue, qPrintable(plan.summary()));
    Trainer resumed(plan);
    RecordingObserver again;
    const RunFinished finished = resumed.run(&again);
    QVERIFY2(!finished.failed, qPrintable(finished.message));
    QCOMPARE(finished.epochsDone, 3);
}

// A rank that hangs (SIGSTOP) ends the job after dist_timeout, naming it.
void TestDistributed::hungRankEndsTheJobAfterTheTimeout()
{
    TrainConfig c = baseConfig(QStringLiteral("hung"));
    c.nproc = 2;
    c.epochs = 50;
    c.distTimeout = 4;
    Trainer trainer(c);
    RecordingObserver observer;
    QElapsedTimer sinceStop;
    pid_t stoppedPid = 0;
    observer.onBatch = [&](const BatchProgress &p) {
        if (p.epoch == 1 && p.batch == 2 && !sinceStop.isValid()) {
            stoppedPid = rankProcesses().value(0);
            ::kill(stoppedPid, SIGSTOP);
            sinceStop.start();
        }
    };
    const RunFinished done = trainer.run(&observer);
    QVERIFY(stoppedPid > 0);
    ::kill(stoppedPid, SIGKILL);
    QVERIFY(done.failed);
    qInfo("ended %.1f s after SIGSTOP: %s", sinceStop.elapsed() / 1000.0, qPrintable(done.message));
    QVERIFY(sinceStop.elapsed() >= 3000);
    QVERIFY(sinceStop.elapsed() < 30000);
    QVERIFY2(done.message.contains(QLatin1String("rank 1")), qPrintable(done.message));
}

void TestDistributed::torchrunStartsTheCli_data()
{
    QTest::addColumn<bool>("standalone");
    QTest::newRow("static rendezvous, agent store") << false;
    QTest::newRow("--standalone, store on rank 0") << true;
}

// Debian's torchrun (python3-torch) starts two yolodeck-cli ranks, in both store modes.
void TestDistributed::torchrunStartsTheCli()
{
    QFETCH(bool, standalone);
    HeldPort probe;
    const int port = probe.port();
    probe.close();
    const QString name =
        standalone ? QStringLiteral("torchrun-standalone") : QStringLiteral("torchrun-static");
    QStringList args{QStringLiteral("-m"), QStringLiteral("torch.distributed.run"),
                     // Debian's torchrun crashes on Python 3.11 without explicit redirects.
                     QStringLiteral("-r"), QStringLiteral("9:1"), QStringLiteral("-t"),
                     QStringLiteral("9:1"), QStringLiteral("--no_python"),
                     QStringLiteral("--nproc_per_node=2")};
    if (standalone)
        args << QStringLiteral("--standalone");
    else
        args << QStringLiteral("--master_addr=127.0.0.1")
             << QStringLiteral("--master_port=%1").arg(port);
    args << QStringLiteral(YOLODECK_CLI) << QStringLiteral("train")
         << QStringLiteral("data=") + m_yaml << QStringLiteral("model=tiny")
         << QStringLiteral("imgsz=64") << QStringLiteral("batch=8") << QStringLiteral("epochs=1")
         << QStringLiteral("workers=1") << QStringLiteral("threads=1")
         << QStringLiteral("project=") + m_dir.filePath(QStringLiteral("runs"))
         << QStringLiteral("name=") + name;
    QProcess torchrun;
    torchrun.setProcessChannelMode(QProcess::MergedChannels);
    torchrun.start(QStringLiteral("/usr/bin/python3"), args);
    QVERIFY(torchrun.waitForFinished(240000));
    const QString out = QString::fromUtf8(torchrun.readAll());
    QVERIFY2(torchrun.exitCode() == 0, qPrintable(out));
    const QString runDir = m_dir.filePath(QStringLiteral("runs/") + name);
    QCOMPARE(csvRowsWithoutTime(runDir).size(), 2); // header and epoch 1
    const QJsonObject start = lastEvent(runDir, QStringLiteral("run_start"));
    QCOMPARE(start.value(QStringLiteral("world_size")).toInt(), 2);
    QCOMPARE(start.value(QStringLiteral("launcher")).toString(),
             standalone ? QStringLiteral("torchrun, store on rank 0")
                        : QStringLiteral("torchrun, agent store"));
}

// A port in use (rank 0) and a store nobody serves (rank 1): one clear line each, quickly.
void TestDistributed::badRendezvousIsOneLine()
{
    HeldPort holder;
    const int port = holder.port();
    const auto runCli = [&](int rank, int masterPort, QString *output) {
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("RANK"), QString::number(rank));
        env.insert(QStringLiteral("WORLD_SIZE"), QStringLiteral("2"));
        env.insert(QStringLiteral("MASTER_ADDR"), QStringLiteral("127.0.0.1"));
        env.insert(QStringLiteral("MASTER_PORT"), QString::number(masterPort));
        cli.setProcessEnvironment(env);
        cli.setProcessChannelMode(QProcess::MergedChannels);
        cli.start(QStringLiteral(YOLODECK_CLI),
                  {QStringLiteral("train"), QStringLiteral("data=") + m_yaml,
                   QStringLiteral("model=tiny"), QStringLiteral("imgsz=64"),
                   QStringLiteral("dist_timeout=3"),
                   QStringLiteral("project=") + m_dir.filePath(QStringLiteral("runs")),
                   QStringLiteral("name=bad")});
        cli.waitForFinished(60000);
        *output = QString::fromUtf8(cli.readAll());
        return cli.exitCode();
    };
    QString out;
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(runCli(0, port, &out), 1);
    QVERIFY2(out.contains(QStringLiteral("MASTER_PORT=%1 is already in use").arg(port)),
             qPrintable(out));
    holder.close();
    QCOMPARE(runCli(1, port, &out), 1);
    QVERIFY2(out.contains(QStringLiteral("could not reach the store at MASTER_ADDR=127.0.0.1 "
                                         "MASTER_PORT=%1 within 3 s")
                              .arg(port)),
             qPrintable(out));
    QVERIFY(timer.elapsed() < 40000);
}

void TestDistributed::batchMustSplit()
{
    TrainConfig c = baseConfig(QStringLiteral("odd"));
    c.nproc = 3;
    c.batch = 8;
    Trainer trainer(c);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY(done.failed);
    QVERIFY2(done.message.contains(QLatin1String("batch=8 cannot be split between 3 training "
                                                 "processes")),
             qPrintable(done.message));
    QVERIFY(rankProcesses().isEmpty()); // the ranks it started are gone
}

QTEST_GUILESS_MAIN(TestDistributed)
#include "tst_distributed.moc"
