// The Gloo process group behind Communicator (DESIGN.md §9): one per training process, on CPU
// tensors (CUDA tensors are staged through host memory). ProcessGroupGloo.hpp needs
// USE_C10D_GLOO, which core/dist/sources.cmake sets for this file only.
#include "core/dist/communicator.h"
#include "core/dist/distsettings.h"
#include "core/dist/locallauncher.h"
#include "core/dist/processgroup.h"

#include <QTemporaryDir>
#include <QThread>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <chrono>
#include <map>
#include <thread>

namespace yolodeck::dist {

namespace {

using Clock = std::chrono::steady_clock;

QString errorText(const std::exception &e)
{
    if (const auto *c10 = dynamic_cast<const c10::Error *>(&e))
        return QString::fromStdString(c10->what_without_backtrace())
            .section(QLatin1Char('\n'), 0, 0);
    return QString::fromStdString(e.what()).section(QLatin1Char('\n'), 0, 0);
}

std::string failedKey(int rank)
{
    return "yolodeck/failed/" + std::to_string(rank);
}

class GlooCommunicator final : public Communicator
{
public:
    GlooCommunicator(DistSettings settings, c10::intrusive_ptr<c10d::Store> store,
                     c10::intrusive_ptr<c10d::ProcessGroupGloo> group,
                     std::unique_ptr<LocalLauncher> launcher, std::unique_ptr<QTemporaryDir> dir)
        : m_settings(std::move(settings))
        , m_store(std::move(store))
        , m_group(std::move(group))
        , m_launcher(std::move(launcher))
        , m_dir(std::move(dir))
    {}

    ~GlooCommunicator() override
    {
        // Children first see the group close, then the launcher reaps them (SIGTERM after 5 s).
        if (m_launcher)
            m_launcher->waitAll(m_failed ? 1000 : 10000);
        m_group.reset();
        m_launcher.reset();
    }

    int rank() const override { return m_settings.rank; }
    int worldSize() const override { return m_settings.worldSize; }
    int localRank() const override { return m_settings.localRank; }
    int localWorldSize() const override { return m_settings.localWorldSize; }
    QString launcher() const override { return m_settings.launcher; }

    void allreduceSum(std::vector<torch::Tensor> &tensors) override
    {
        forEachBucket(tensors, [this](torch::Tensor &flat) {
            std::vector<torch::Tensor> v{flat};
            collective([&] { group().allreduce(v, c10d::AllreduceOptions{})->wait(); });
        });
    }

    void broadcast(std::vector<torch::Tensor> &tensors, int root) override
    {
        forEachBucket(tensors, [this, root](torch::Tensor &flat) {
            std::vector<torch::Tensor> v{flat};
            c10d::BroadcastOptions options;
            options.rootRank = root;
            collective([&] { group().broadcast(v, options)->wait(); });
        });
    }

    std::vector<torch::Tensor> allgather(const torch::Tensor &mine) override
    {
        const auto t0 = Clock::now();
        std::vector<torch::Tensor> in{mine.to(torch::kCPU).contiguous()};
        std::vector<std::vector<torch::Tensor>> out(1);
        for (int r = 0; r < worldSize(); ++r)
            out[0].push_back(torch::empty_like(in[0]));
        collective([&] { group().allgather(out, in)->wait(); });
        m_commSeconds += std::chrono::duration<double>(Clock::now() - t0).count();
        return out[0];
    }

    void announceFailure(const QString &why) override
    {
        m_failed = true;
        try {
            m_store->setTimeout(std::chrono::seconds(2));
            const QByteArray text = why.toUtf8();
            m_store->set(failedKey(rank()), std::vector<uint8_t>(text.begin(), text.end()));
        } catch (const std::exception &) {
            // The store may be gone with rank 0: nothing more to tell.
        }
    }

    QString explainFailure(const QString &what) override
    {
        m_failed = true;
        QStringList causes;
        if (m_launcher) {
            // A rank killed from outside: its exit status is the clearest account.
            m_launcher->waitAll(1000);
            const QString ended = m_launcher->describeEnded();
            if (!ended.isEmpty())
                causes << ended;
        }
        QList<int> silent;
        try {
            m_store->setTimeout(std::chrono::milliseconds(500));
            // Give peers that noticed the same failure a moment to say why they stop.
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            for (int r = 0; r < worldSize(); ++r) {
                if (r == rank())
                    continue;
                if (m_store->check({failedKey(r)})) {
                    const std::vector<uint8_t> v = m_store->get(failedKey(r));
                    const QString reason =
                        QString::fromUtf8(reinterpret_cast<const char *>(v.data()), int(v.size()));
                    // Peers that only saw this failure repeat it; the first cause is the news.
                    if (!reason.startsWith(QLatin1String("lost contact")))
                        causes << QStringLiteral("rank %1 failed: %2").arg(r).arg(reason);
                } else {
                    silent << r;
                }
            }
        } catch (const std::exception &) {
            if (rank() != 0)
                causes << QStringLiteral("rank 0 is gone (its store no longer answers)");
        }
        if (causes.isEmpty() && !silent.isEmpty()) {
            QStringList ranks;
            for (int r : silent)
                ranks << QString::number(r);
            causes << QStringLiteral("rank %1 stopped responding (exited, crashed or hung)")
                          .arg(ranks.join(QStringLiteral(", ")));
        }
        const QString cause =
            causes.isEmpty() ? QStringLiteral("a peer failed") : causes.join(QStringLiteral("; "));
        return QStringLiteral("lost contact with the other training processes: %1 (%2)")
            .arg(cause, what);
    }

    void abort() override
    {
        m_failed = true;
        if (m_launcher)
            m_launcher->terminate();
        m_group.reset();
    }

private:
    c10d::ProcessGroupGloo &group()
    {
        if (!m_group)
            throw PeerLost("the process group was closed after a failure");
        return *m_group;
    }

    // Runs one collective; what Gloo throws there means a peer is gone.
    template <typename F> void collective(F f)
    {
        try {
            f();
        } catch (const PeerLost &) {
            throw;
        } catch (const std::exception &e) {
            throw PeerLost(errorText(e).toStdString());
        }
    }

    // Packs tensors of one dtype into flat CPU buffers of at most kBucketBytes, runs `op` on each
    // and copies the result back.
    template <typename Op> void forEachBucket(std::vector<torch::Tensor> &tensors, Op op)
    {
        const auto t0 = Clock::now();
        std::map<int, std::vector<size_t>> byType;
        for (size_t i = 0; i < tensors.size(); ++i)
            byType[int(tensors[i].scalar_type())].push_back(i);
        for (const auto &[type, indices] : byType) {
            size_t begin = 0;
            while (begin < indices.size()) {
                size_t end = begin;
                int64_t bytes = 0;
                do {
                    bytes += tensors[indices[end]].nbytes();
                    ++end;
                } while (end < indices.size() &&
                         bytes + int64_t(tensors[indices[end]].nbytes()) <= kBucketBytes);
                std::vector<torch::Tensor> parts;
                for (size_t k = begin; k < end; ++k)
                    parts.push_back(tensors[indices[k]].detach().to(torch::kCPU).reshape({-1}));
                torch::Tensor flat = parts.size() == 1 ? parts[0].clone() : torch::cat(parts);
                op(flat);
                int64_t offset = 0;
                for (size_t k = begin; k < end; ++k) {
                    torch::Tensor &t = tensors[indices[k]];
                    const int64_t n = t.numel();
                    torch::NoGradGuard noGrad;
                    t.copy_(flat.narrow(0, offset, n).view(t.sizes()));
                    offset += n;
                }
                begin = end;
            }
        }
        m_commSeconds += std::chrono::duration<double>(Clock::now() - t0).count();
    }

    DistSettings m_settings;
    c10::intrusive_ptr<c10d::Store> m_store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> m_group;
    std::unique_ptr<LocalLauncher> m_launcher;
    std::unique_ptr<QTemporaryDir> m_dir;
    bool m_failed = false;
};

bool isLoopback(const QString &address)
{
    return address.startsWith(QLatin1String("127.")) || address == QLatin1String("localhost") ||
           address == QLatin1String("::1");
}

Result<std::unique_ptr<Communicator>>
connect(DistSettings s, std::unique_ptr<LocalLauncher> launcher, std::unique_ptr<QTemporaryDir> dir)
{
    using R = Result<std::unique_ptr<Communicator>>;
    const auto timeout = std::chrono::milliseconds(int64_t(s.timeoutSeconds) * 1000);
    c10::intrusive_ptr<c10d::Store> store;
    const QString where =
        QStringLiteral("MASTER_ADDR=%1 MASTER_PORT=%2").arg(s.masterAddr).arg(s.masterPort);
    try {
        if (!s.fileStore.isEmpty()) {
            store = c10::make_intrusive<c10d::FileStore>(s.fileStore.toStdString(), s.worldSize);
        } else {
            c10d::TCPStoreOptions options;
            options.port = uint16_t(s.masterPort);
            options.isServer = s.rank == 0 && !s.agentStore;
            options.numWorkers = s.worldSize;
            options.waitWorkers = false;
            options.timeout = timeout;
            auto tcp = c10::make_intrusive<c10d::TCPStore>(s.masterAddr.toStdString(), options);
            store = tcp;
            if (s.agentStore)
                store = c10::make_intrusive<c10d::PrefixStore>(
                    "/worker/attempt_" + std::to_string(s.restartCount), store);
        }
        store->setTimeout(timeout);
    } catch (const std::exception &e) {
        const QString text = errorText(e);
        if (text.contains(QLatin1String("Address already in use")) ||
            text.contains(QLatin1String("errno: 98")))
            return R::fail(QStringLiteral("MASTER_PORT=%1 is already in use on this machine: "
                                          "choose a free port for rank 0's store (%2)")
                               .arg(s.masterPort)
                               .arg(text));
        if (s.fileStore.isEmpty())
            return R::fail(QStringLiteral("rank %1 could not reach the store at %2 within %3 s: "
                                          "check that rank 0 runs, that MASTER_ADDR and "
                                          "MASTER_PORT name it and that the port is open (%4)")
                               .arg(s.rank)
                               .arg(where)
                               .arg(s.timeoutSeconds)
                               .arg(text));
        return R::fail(
            QStringLiteral("%1: cannot open the job's file store: %2").arg(s.fileStore, text));
    }

    try {
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        const QByteArray iface = qgetenv("GLOO_SOCKET_IFNAME");
        if (!iface.isEmpty())
            options->devices.push_back(
                c10d::ProcessGroupGloo::createDeviceForInterface(iface.toStdString()));
        else if (!s.fileStore.isEmpty() || isLoopback(s.masterAddr))
            options->devices.push_back(
                c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else
            options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        options->threads = 2;
        auto group =
            c10::make_intrusive<c10d::ProcessGroupGloo>(store, s.rank, s.worldSize, options);
        return R::ok(std::make_unique<GlooCommunicator>(std::move(s), store, group,
                                                        std::move(launcher), std::move(dir)));
    } catch (const std::exception &e) {
        QString text = errorText(e);
        if (launcher) {
            launcher->waitAll(1000);
            const QString ended = launcher->describeEnded();
            if (!ended.isEmpty())
                text = ended + QStringLiteral(" (") + text + QLatin1Char(')');
        }
        return R::fail(QStringLiteral("the %1 training processes did not all connect within %2 s: "
                                      "%3")
                           .arg(s.worldSize)
                           .arg(s.timeoutSeconds)
                           .arg(text));
    }
}

} // namespace

Result<std::unique_ptr<Communicator>> joinJob(const JobRequest &request,
                                              const QProcessEnvironment &env)
{
    using R = Result<std::unique_ptr<Communicator>>;
    DistSettings s;
    if (request.nproc <= 0) {
        // No nproc= given: the environment may describe a job this process is part of.
        Result<DistSettings> settings = DistSettings::fromEnvironment(env);
        if (!settings)
            return R::fail(settings.error());
        s = settings.take();
        if (s.isDistributed()) {
            if (s.fileStore.isEmpty())
                s.timeoutSeconds = request.timeoutSeconds;
            return connect(std::move(s), nullptr, nullptr);
        }
    }
    // nproc=1 is one process whatever the environment says (the window inside a Slurm
    // allocation, for example).
    if (request.nproc <= 1)
        return R::ok(makeSingleProcess());

    // nproc=N: this process is rank 0 of a job on this machine.
    auto dir =
        std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/yolodeck-dist-XXXXXX"));
    if (!dir->isValid())
        return R::fail(
            QStringLiteral("cannot create a temporary folder for the job's store in %1: %2")
                .arg(QDir::tempPath(), dir->errorString()));
    s.worldSize = request.nproc;
    s.localWorldSize = request.nproc;
    s.rank = s.localRank = 0;
    s.fileStore = dir->filePath(QStringLiteral("store"));
    s.launcher = QStringLiteral("nproc");
    s.masterAddr = QStringLiteral("127.0.0.1");
    s.timeoutSeconds = request.timeoutSeconds;
    auto launcher = std::make_unique<LocalLauncher>();
    LocalLauncher::Options lo;
    lo.program = workerProgram();
    lo.worldSize = request.nproc;
    lo.storePath = s.fileStore;
    lo.timeoutSeconds = request.timeoutSeconds;
    lo.devices = request.devices;
    const Status started = launcher->start(lo);
    if (!started)
        return R::fail(started.error());
    return connect(std::move(s), std::move(launcher), std::move(dir));
}

} // namespace yolodeck::dist
