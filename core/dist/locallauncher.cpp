#include "core/dist/locallauncher.h"

#include <QFileInfo>
#include <QProcessEnvironment>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace yolodeck::dist {

namespace {

QString &workerProgramPath()
{
    static QString path;
    return path;
}

QString signalName(int sig)
{
    switch (sig) {
    case SIGKILL:
        return QStringLiteral("SIGKILL");
    case SIGTERM:
        return QStringLiteral("SIGTERM");
    case SIGINT:
        return QStringLiteral("SIGINT");
    case SIGSEGV:
        return QStringLiteral("SIGSEGV");
    case SIGABRT:
        return QStringLiteral("SIGABRT");
    case SIGBUS:
        return QStringLiteral("SIGBUS");
    default:
        return QStringLiteral("signal %1").arg(sig);
    }
}

} // namespace

void setWorkerProgram(const QString &path)
{
    workerProgramPath() = path;
}

QString workerProgram()
{
    if (!workerProgramPath().isEmpty())
        return workerProgramPath();
    const QFileInfo self(QStringLiteral("/proc/self/exe"));
    return self.symLinkTarget().section(QLatin1Char('/'), 0, -2) + QStringLiteral("/yolodeck-cli");
}

LocalLauncher::~LocalLauncher()
{
    poll();
    terminate();
    if (!waitAll(5000)) {
        for (Child &c : m_children)
            if (!c.exited)
                ::kill(c.pid, SIGKILL);
        waitAll(5000);
    }
}

Status LocalLauncher::start(const Options &options)
{
    const QFileInfo program(options.program);
    if (!program.isFile() || !program.isExecutable())
        return Status::fail(QStringLiteral("%1: cannot start the other training processes: no "
                                           "such program (yolodeck-cli is expected there)")
                                .arg(options.program));
    // Everything the child needs is built before fork(): after it, only async-signal-safe calls.
    const QByteArray path = QFile::encodeName(program.absoluteFilePath());
    std::vector<std::vector<QByteArray>> envs;
    const QStringList base = QProcessEnvironment::systemEnvironment().toStringList();
    for (int rank = 1; rank < options.worldSize; ++rank) {
        std::vector<QByteArray> env;
        static const QStringList replaced = {
            QStringLiteral("RANK="),          QStringLiteral("LOCAL_RANK="),
            QStringLiteral("WORLD_SIZE="),    QStringLiteral("LOCAL_WORLD_SIZE="),
            QStringLiteral("MASTER_ADDR="),   QStringLiteral("MASTER_PORT="),
            QStringLiteral("YOLODECK_DIST_"), QStringLiteral("TORCHELASTIC_"),
            QStringLiteral("SLURM_PROCID="),  QStringLiteral("SLURM_NTASKS=")};
        for (const QString &kv : base) {
            bool skip = false;
            for (const QString &prefix : replaced)
                skip = skip || kv.startsWith(prefix);
            if (!skip)
                env.push_back(kv.toLocal8Bit());
        }
        env.push_back("RANK=" + QByteArray::number(rank));
        env.push_back("LOCAL_RANK=" + QByteArray::number(rank));
        env.push_back("WORLD_SIZE=" + QByteArray::number(options.worldSize));
        env.push_back("LOCAL_WORLD_SIZE=" + QByteArray::number(options.worldSize));
        env.push_back("MASTER_ADDR=127.0.0.1");
        env.push_back("YOLODECK_DIST_STORE=" + QFile::encodeName(options.storePath));
        env.push_back("YOLODECK_DIST_TIMEOUT=" + QByteArray::number(options.timeoutSeconds));
        if (rank < options.devices.size())
            env.push_back("YOLODECK_DIST_DEVICE=" + options.devices[rank].toLocal8Bit());
        envs.push_back(std::move(env));
    }
    const pid_t parent = ::getpid();
    for (int rank = 1; rank < options.worldSize; ++rank) {
        const std::vector<QByteArray> &env = envs[size_t(rank - 1)];
        std::vector<char *> envp;
        for (const QByteArray &kv : env)
            envp.push_back(const_cast<char *>(kv.constData()));
        envp.push_back(nullptr);
        char *argv[] = {const_cast<char *>(path.constData()), const_cast<char *>("train"), nullptr};
        const pid_t pid = ::fork();
        if (pid < 0) {
            const QString reason = QString::fromLocal8Bit(std::strerror(errno));
            terminate();
            return Status::fail(
                QStringLiteral("cannot start training process %1: %2").arg(rank).arg(reason));
        }
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != parent)
                ::_exit(127);
            ::execve(argv[0], argv, envp.data());
            ::_exit(127);
        }
        m_children.push_back({rank, pid, false, 0, 0});
    }
    return okStatus();
}

void LocalLauncher::poll()
{
    for (Child &c : m_children) {
        if (c.exited)
            continue;
        int status = 0;
        const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
        if (r == c.pid) {
            c.exited = true;
            if (WIFEXITED(status))
                c.exitCode = WEXITSTATUS(status);
            else if (WIFSIGNALED(status))
                c.signal = WTERMSIG(status);
        } else if (r < 0 && errno == ECHILD) {
            c.exited = true; // reaped elsewhere
        }
    }
}

bool LocalLauncher::waitAll(int ms)
{
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
        poll();
        bool all = true;
        for (const Child &c : m_children)
            all = all && c.exited;
        if (all)
            return true;
        if (std::chrono::steady_clock::now() >= end)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void LocalLauncher::terminate()
{
    for (const Child &c : m_children)
        if (!c.exited)
            ::kill(c.pid, SIGTERM);
}

QString LocalLauncher::describeEnded() const
{
    QStringList parts;
    for (const Child &c : m_children) {
        if (!c.exited || (c.signal == 0 && c.exitCode == 0))
            continue;
        if (c.signal != 0)
            parts << QStringLiteral("rank %1 (pid %2) was killed by %3")
                         .arg(c.rank)
                         .arg(c.pid)
                         .arg(signalName(c.signal));
        else if (c.exitCode == 127)
            parts << QStringLiteral("rank %1 (pid %2) could not start %3")
                         .arg(c.rank)
                         .arg(c.pid)
                         .arg(workerProgram());
        else
            parts << QStringLiteral("rank %1 (pid %2) exited with code %3")
                         .arg(c.rank)
                         .arg(c.pid)
                         .arg(c.exitCode);
    }
    return parts.join(QStringLiteral("; "));
}

} // namespace yolodeck::dist
