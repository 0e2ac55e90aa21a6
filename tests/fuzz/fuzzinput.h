#pragma once

// What the drivers share: a scratch folder for the files the parsers read by path, and the check
// that turns a broken promise ("bad input gets a clear error") into a crash the fuzzer reports.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace yolodeck::fuzz {

// One folder per process under $TMPDIR (scripts/fuzz.sh points it into the build folder), removed
// when the fuzzer exits normally.
inline const QTemporaryDir &scratchDir()
{
    static const QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/yolodeck-fuzz-XXXXXX"));
    if (!dir.isValid()) {
        std::fprintf(stderr, "fuzz driver: cannot create a scratch folder in %s\n",
                     qPrintable(QDir::tempPath()));
        std::abort();
    }
    return dir;
}

inline QString scratchPath(const QString &relative)
{
    const QString path = scratchDir().filePath(relative);
    QDir().mkpath(QFileInfo(path).absolutePath());
    return path;
}

// Replaces the file with exactly these bytes. Not being able to write the scratch folder is a
// broken test machine, not a finding: say so and stop.
inline void writeFile(const QString &path, const char *data, size_t size)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        file.write(data, qint64(size)) != qint64(size)) {
        std::fprintf(stderr, "fuzz driver: cannot write %s: %s\n", qPrintable(path),
                     qPrintable(file.errorString()));
        std::abort();
    }
}

inline void writeFile(const QString &path, const uint8_t *data, size_t size)
{
    writeFile(path, reinterpret_cast<const char *>(data), size);
}

// A promise of the parser's contract that the input broke: reported as a crash (with the
// message), so libFuzzer keeps the input.
inline void expect(bool holds, const char *promise, const QString &detail = {})
{
    if (holds)
        return;
    std::fprintf(stderr, "fuzz driver: broken promise: %s\n  %s\n", promise, qPrintable(detail));
    std::abort();
}

// A failure must say what went wrong: a message naming the file it is about.
inline void expectClearError(const QString &error, const QString &fileName)
{
    expect(!error.trimmed().isEmpty(), "a failure comes with a message");
    expect(error.contains(fileName), "the message names the file", error);
}

// Checkpoint messages are promised to be one line (DESIGN.md §4): torch's multi-line messages with
// a C++ backtrace must not leak through.
inline void expectOneLine(const QString &error)
{
    expect(!error.contains(QLatin1Char('\n')), "the message is one line", error);
}

// fuzz_runlog's input: results.csv, then optionally a line "@@" and events.jsonl, then optionally
// another "@@" line and args.yaml. A missing or empty part is a file the run folder lacks.
struct RunFolderInput
{
    QByteArray results;
    std::optional<QByteArray> events, args;
};

inline RunFolderInput splitRunFolderInput(const QByteArray &input)
{
    static const QByteArray separator("\n@@\n");
    RunFolderInput parts;
    const qsizetype first = input.indexOf(separator);
    if (first < 0) {
        parts.results = input;
        return parts;
    }
    parts.results = input.left(first);
    const qsizetype eventsAt = first + separator.size();
    const qsizetype second = input.indexOf(separator, eventsAt);
    const QByteArray events =
        second < 0 ? input.mid(eventsAt) : input.mid(eventsAt, second - eventsAt);
    if (!events.isEmpty())
        parts.events = events;
    if (second >= 0)
        parts.args = input.mid(second + separator.size());
    return parts;
}

// Writes the parts into a run folder; a part that is absent removes its file.
inline void writeRunFolder(const QString &runDir, const RunFolderInput &parts)
{
    const auto write = [&](const char *name, const std::optional<QByteArray> &part) {
        const QString path = runDir + QLatin1Char('/') + QLatin1String(name);
        if (part)
            writeFile(path, part->constData(), size_t(part->size()));
        else
            QFile::remove(path);
    };
    write("results.csv", parts.results);
    write("events.jsonl", parts.events);
    write("args.yaml", parts.args);
}

} // namespace yolodeck::fuzz
