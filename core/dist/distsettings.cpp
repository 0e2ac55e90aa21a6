#include "core/dist/distsettings.h"

namespace yolodeck::dist {

namespace {

// An integer variable; `fallback` when unset; an error naming it when not a number >= minimum.
Result<int> intVariable(const QProcessEnvironment &env, const QString &name, int fallback,
                        int minimum)
{
    if (!env.contains(name))
        return Result<int>::ok(fallback);
    bool ok = false;
    const int value = env.value(name).trimmed().toInt(&ok);
    if (!ok || value < minimum)
        return Result<int>::fail(QStringLiteral("%1=%2 is not valid: expected a whole number of "
                                                "at least %3")
                                     .arg(name, env.value(name))
                                     .arg(minimum));
    return Result<int>::ok(value);
}

} // namespace

Result<DistSettings> DistSettings::fromEnvironment(const QProcessEnvironment &env)
{
    DistSettings s;
    // Slurm's variables stand in for the standard ones a script did not export.
    const bool slurm = !env.contains(QStringLiteral("RANK")) &&
                       env.contains(QStringLiteral("SLURM_PROCID")) &&
                       env.contains(QStringLiteral("SLURM_NTASKS"));
    const QString rankVar = slurm ? QStringLiteral("SLURM_PROCID") : QStringLiteral("RANK");
    const QString worldVar = slurm ? QStringLiteral("SLURM_NTASKS") : QStringLiteral("WORLD_SIZE");
    const QString localVar = slurm ? QStringLiteral("SLURM_LOCALID") : QStringLiteral("LOCAL_RANK");
    const QString localWorldVar =
        slurm ? QStringLiteral("SLURM_NTASKS_PER_NODE") : QStringLiteral("LOCAL_WORLD_SIZE");

    const Result<int> world = intVariable(env, worldVar, 1, 1);
    if (!world)
        return Result<DistSettings>::fail(world.error());
    s.worldSize = world.value();
    if (s.worldSize == 1)
        return Result<DistSettings>::ok(s);

    const Result<int> rank = intVariable(env, rankVar, -1, 0);
    if (!rank)
        return Result<DistSettings>::fail(rank.error());
    if (rank.value() < 0)
        return Result<DistSettings>::fail(
            QStringLiteral("%1=%2 is set but %3 is not: every process of a distributed job needs "
                           "its rank")
                .arg(worldVar)
                .arg(s.worldSize)
                .arg(rankVar));
    s.rank = rank.value();
    if (s.rank >= s.worldSize)
        return Result<DistSettings>::fail(QStringLiteral("%1=%2 is not below %3=%4")
                                              .arg(rankVar)
                                              .arg(s.rank)
                                              .arg(worldVar)
                                              .arg(s.worldSize));
    const Result<int> local = intVariable(env, localVar, s.rank, 0);
    if (!local)
        return Result<DistSettings>::fail(local.error());
    s.localRank = local.value();
    // Slurm writes "2(x3)" forms for heterogeneous nodes: take the leading number.
    QProcessEnvironment trimmed = env;
    if (slurm && env.contains(localWorldVar))
        trimmed.insert(localWorldVar, env.value(localWorldVar).section(QLatin1Char('('), 0, 0));
    const Result<int> localWorld = intVariable(trimmed, localWorldVar, s.worldSize, 1);
    if (!localWorld)
        return Result<DistSettings>::fail(localWorld.error());
    s.localWorldSize = localWorld.value();

    s.fileStore = env.value(QStringLiteral("YOLODECK_DIST_STORE"));
    const Result<int> timeout = intVariable(env, QStringLiteral("YOLODECK_DIST_TIMEOUT"), 300, 1);
    if (!timeout)
        return Result<DistSettings>::fail(timeout.error());
    s.timeoutSeconds = timeout.value();
    if (!s.fileStore.isEmpty()) {
        s.launcher = QStringLiteral("nproc");
        s.masterAddr = QStringLiteral("127.0.0.1");
        return Result<DistSettings>::ok(s);
    }

    s.masterAddr = env.value(QStringLiteral("MASTER_ADDR")).trimmed();
    if (s.masterAddr.isEmpty())
        return Result<DistSettings>::fail(
            QStringLiteral("%1=%2 is set but MASTER_ADDR is not: set it to the address of the "
                           "machine that runs rank 0")
                .arg(worldVar)
                .arg(s.worldSize));
    const Result<int> port = intVariable(env, QStringLiteral("MASTER_PORT"), -1, 1);
    if (!port)
        return Result<DistSettings>::fail(port.error());
    if (port.value() < 0 || port.value() > 65535)
        return Result<DistSettings>::fail(
            port.value() < 0
                ? QStringLiteral(
                      "%1=%2 is set but MASTER_PORT is not: set it to a free TCP port on "
                      "the machine that runs rank 0 (29500 is torchrun's default)")
                      .arg(worldVar)
                      .arg(s.worldSize)
                : QStringLiteral("MASTER_PORT=%1 is not a TCP port (1-65535)").arg(port.value()));
    s.masterPort = port.value();

    const bool torchrun = env.contains(QStringLiteral("TORCHELASTIC_RESTART_COUNT"));
    // torchrun's static rendezvous (its default with --master_addr/--master_port) serves the store
    // from its agent and says so; --standalone and the c10d rendezvous leave it to rank 0.
    s.agentStore = env.value(QStringLiteral("TORCHELASTIC_USE_AGENT_STORE"))
                       .compare(QLatin1String("true"), Qt::CaseInsensitive) == 0;
    const Result<int> restarts =
        intVariable(env, QStringLiteral("TORCHELASTIC_RESTART_COUNT"), 0, 0);
    if (!restarts)
        return Result<DistSettings>::fail(restarts.error());
    s.restartCount = restarts.value();
    if (torchrun)
        s.launcher = s.agentStore ? QStringLiteral("torchrun, agent store")
                                  : QStringLiteral("torchrun, store on rank 0");
    else
        s.launcher = slurm ? QStringLiteral("slurm") : QStringLiteral("environment");
    return Result<DistSettings>::ok(s);
}

} // namespace yolodeck::dist
