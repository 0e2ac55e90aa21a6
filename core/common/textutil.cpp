#include "core/common/textutil.h"

#include <algorithm>
#include <vector>

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace yolodeck {

QString formatG6(double value)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    return QString::fromLatin1(buf);
}

bool syncDirectory(const QString &dirPath)
{
    const int fd = ::open(QFile::encodeName(dirPath).constData(), O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

bool writeFileAtomically(const QString &path, const QByteArray &data, QString *error)
{
    // QSaveFile writes to a temporary file beside the target, fsyncs it on commit() and renames.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    if (file.write(data) != data.size() || !file.commit()) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    syncDirectory(QFileInfo(path).absolutePath());
    return true;
}

namespace {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive.
int editDistance(const QString &a, const QString &b)
{
    const QString x = a.toLower(), y = b.toLower();
    const int n = int(x.size()), m = int(y.size());
    std::vector<std::vector<int>> d(size_t(n) + 1, std::vector<int>(size_t(m) + 1));
    for (int i = 0; i <= n; ++i)
        d[size_t(i)][0] = i;
    for (int j = 0; j <= m; ++j)
        d[0][size_t(j)] = j;
    for (int i = 1; i <= n; ++i) {
        for (int j = 1; j <= m; ++j) {
            const int cost = x[i - 1] == y[j - 1] ? 0 : 1;
            int v = std::min({d[size_t(i - 1)][size_t(j)] + 1, d[size_t(i)][size_t(j - 1)] + 1,
                              d[size_t(i - 1)][size_t(j - 1)] + cost});
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1])
                v = std::min(v, d[size_t(i - 2)][size_t(j - 2)] + 1);
            d[size_t(i)][size_t(j)] = v;
        }
    }
    return d[size_t(n)][size_t(m)];
}

} // namespace

QString closestMatch(const QString &word, const QStringList &choices)
{
    QString best;
    int bestDistance = 3;
    for (const QString &c : choices) {
        const int dist = editDistance(word, c);
        if (dist < bestDistance && 2 * dist < int(word.size())) {
            bestDistance = dist;
            best = c;
        }
    }
    return best;
}

QString unknownKeyMessage(const QString &key, const QStringList &validKeys)
{
    const QString guess = closestMatch(key, validKeys);
    return QStringLiteral("unknown key '%1'%2; valid keys: %3")
        .arg(key, guess.isEmpty() ? QString() : QStringLiteral(" (did you mean '%1'?)").arg(guess),
             validKeys.join(QLatin1Char(' ')));
}

QByteArray withoutTopLevelMember(const QByteArray &json, QLatin1StringView key)
{
    int depth = 0;
    bool inString = false;
    bool escaped = false;
    bool expectKey = false; // at depth 1, the next string is a member's name
    qsizetype stringStart = -1;
    qsizetype delimiter = -1;   // the '{' or ',' before the current top-level member
    qsizetype memberStart = -1; // where the member `key` starts, once found
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
                const QByteArrayView name(json.constData() + stringStart + 1, i - stringStart - 1);
                if (depth == 1 && expectKey && memberStart < 0 && name == QByteArrayView(key))
                    memberStart = stringStart;
            }
            continue;
        }
        switch (c) {
        case '"':
            inString = true;
            stringStart = i;
            break;
        case '{':
        case '[':
            if (depth == 0 && c != '{')
                return {}; // an array at the top
            if (++depth == 1) {
                expectKey = true;
                delimiter = i;
            }
            break;
        case '}':
        case ']':
            if (--depth < 0)
                return {};
            if (depth == 0) {
                if (c != '}' || memberStart < 0)
                    return {};
                // The last member: the comma before it goes with it.
                const qsizetype from = json[delimiter] == ',' ? delimiter : memberStart;
                return json.left(from) + json.mid(i);
            }
            break;
        case ':':
            if (depth == 1)
                expectKey = false;
            break;
        case ',':
            if (depth == 1) {
                if (memberStart >= 0)
                    return json.left(memberStart) + json.mid(i + 1);
                expectKey = true;
                delimiter = i;
            }
            break;
        default:
            break;
        }
    }
    return {};
}

} // namespace yolodeck
