// The Chinese translation is complete and consistent with the code: lupdate run over the sources
// the build translates finds no string without a translation, every translation keeps its
// source's placeholders (%1, %2, ...), and the .qm embedded in the window's resources translates.
#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTranslator>
#include <QXmlStreamReader>
#include <QtTest>

namespace {

struct Message
{
    QString context;
    QString source;
    QString translation;
    bool unfinished = false;
};

QList<Message> readTs(const QString &path)
{
    QList<Message> out;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return out;
    QXmlStreamReader xml(&file);
    QString context;
    Message current;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        if (xml.name() == QLatin1String("name")) {
            context = xml.readElementText();
        } else if (xml.name() == QLatin1String("message")) {
            current = Message{context, {}, {}, false};
        } else if (xml.name() == QLatin1String("source")) {
            current.source = xml.readElementText();
        } else if (xml.name() == QLatin1String("translation")) {
            current.unfinished =
                xml.attributes().value(QLatin1String("type")) == QLatin1String("unfinished");
            // A plural message holds its forms in <numerusform> children: their text counts.
            current.translation = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            out.push_back(current);
        }
    }
    if (xml.hasError())
        qWarning("%s: %s", qPrintable(path), qPrintable(xml.errorString()));
    return out;
}

QSet<QString> placeholders(const QString &text)
{
    static const QRegularExpression arg(QStringLiteral("%(\\d+)"));
    QSet<QString> out;
    for (const QRegularExpressionMatch &m : arg.globalMatch(text))
        out.insert(m.captured(0));
    return out;
}

} // namespace

class TestTranslation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyStringIsTranslated()
    {
        // Refresh a copy of the .ts from the sources, as `update_translations` would.
        QFile list(QStringLiteral(YOLODECK_TRANSLATED_SOURCES));
        QVERIFY2(list.open(QIODevice::ReadOnly), qPrintable(list.fileName()));
        const QStringList sources =
            QString::fromUtf8(list.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY(sources.size() > 10);
        QTemporaryDir tmp;
        const QString ts = tmp.filePath(QStringLiteral("yolodeck_zh_CN.ts"));
        QVERIFY(
            QFile::copy(QStringLiteral(YOLODECK_SOURCE_DIR "/translations/yolodeck_zh_CN.ts"), ts));
        QFile::setPermissions(ts, QFile::ReadOwner | QFile::WriteOwner);
        QProcess lupdate;
        lupdate.start(QStringLiteral(YOLODECK_LUPDATE),
                      QStringList{QStringLiteral("-no-obsolete"), QStringLiteral("-locations"),
                                  QStringLiteral("none"), QStringLiteral("-I"),
                                  QStringLiteral(YOLODECK_SOURCE_DIR)} +
                          sources + QStringList{QStringLiteral("-ts"), ts});
        QVERIFY(lupdate.waitForFinished(120000));
        QVERIFY2(lupdate.exitCode() == 0, lupdate.readAllStandardError().constData());

        const QList<Message> messages = readTs(ts);
        QVERIFY2(messages.size() > 200, qPrintable(QString::number(messages.size())));
        QStringList missing, broken;
        for (const Message &m : messages) {
            if (m.unfinished || m.translation.isEmpty())
                missing << m.context + QStringLiteral(": ") + m.source;
            else if (placeholders(m.source) != placeholders(m.translation))
                broken << m.context + QStringLiteral(": ") + m.source + QStringLiteral(" -> ") +
                              m.translation;
        }
        QVERIFY2(missing.isEmpty(),
                 qPrintable(QStringLiteral("untranslated (run the update_translations target "
                                           "and translate them):\n") +
                            missing.join(QLatin1Char('\n'))));
        QVERIFY2(broken.isEmpty(), qPrintable(QStringLiteral("placeholders differ:\n") +
                                              broken.join(QLatin1Char('\n'))));
    }

    void embeddedCatalogueTranslates()
    {
        QTranslator translator;
        QVERIFY(translator.load(QStringLiteral(":/i18n/yolodeck_zh_CN.qm")));
        QCOMPARE(translator.translate("yolodeck::MainWindow", "&Start"),
                 QStringLiteral("开始(&S)"));
        const QString compare = translator.translate("yolodeck::CheckpointBrowser", "Compare…");
        QVERIFY2(!compare.isEmpty() && compare != QStringLiteral("Compare…"), qPrintable(compare));
    }
};

QTEST_GUILESS_MAIN(TestTranslation)
#include "tst_translation.moc"
