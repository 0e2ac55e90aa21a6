<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>main</name>
    <message>
        <source>Train YOLO detectors without ever losing a run.</source>
        <translation>训练 YOLO 检测器，永不丢失训练进度。</translation>
    </message>
    <message>
        <source>Start a short run on the generated demo dataset.</source>
        <translation>在生成的演示数据集上开始一次短训练。</translation>
    </message>
    <message>
        <source>User interface language (en, zh_CN).</source>
        <translation>界面语言（en、zh_CN）。</translation>
    </message>
    <message>
        <source>language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Start training at once. The arguments are training keys (key=value, as for yolodeck-cli train) put into the run setup; the other keys keep their values.</source>
        <translation>立即开始训练。参数为训练键（key=value，与 yolodeck-cli train 相同），填入运行设置；其他键保持原值。</translation>
    </message>
    <message>
        <source>A run folder to open, a checkpoint (.pt) to resume, or two to compare; with --train, key=value words.</source>
        <translation>要打开的运行文件夹、要恢复的检查点（.pt），或要比较的两个检查点；使用 --train 时为 key=value 参数。</translation>
    </message>
    <message>
        <source>&apos;%1&apos; cannot be set in the window</source>
        <translation>无法在窗口中设置“%1”</translation>
    </message>
</context>
<context>
    <name>yolodeck::ChartView</name>
    <message>
        <source>epoch</source>
        <translation>轮次</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
    <message>
        <source>Losses</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>Validation metrics</source>
        <translation>验证指标</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Epoch time</source>
        <translation>每轮耗时</translation>
    </message>
    <message>
        <source>train box</source>
        <translation>训练 box</translation>
    </message>
    <message>
        <source>train cls</source>
        <translation>训练 cls</translation>
    </message>
    <message>
        <source>train dfl</source>
        <translation>训练 dfl</translation>
    </message>
    <message>
        <source>train box (epoch)</source>
        <translation>训练 box（每轮）</translation>
    </message>
    <message>
        <source>train cls (epoch)</source>
        <translation>训练 cls（每轮）</translation>
    </message>
    <message>
        <source>train dfl (epoch)</source>
        <translation>训练 dfl（每轮）</translation>
    </message>
    <message>
        <source>val box</source>
        <translation>验证 box</translation>
    </message>
    <message>
        <source>val cls</source>
        <translation>验证 cls</translation>
    </message>
    <message>
        <source>val dfl</source>
        <translation>验证 dfl</translation>
    </message>
    <message>
        <source>precision</source>
        <translation>精确率</translation>
    </message>
    <message>
        <source>recall</source>
        <translation>召回率</translation>
    </message>
    <message>
        <source>mAP50</source>
        <translation>mAP50</translation>
    </message>
    <message>
        <source>mAP50-95</source>
        <translation>mAP50-95</translation>
    </message>
    <message>
        <source>pg0 biases</source>
        <translation>pg0 偏置</translation>
    </message>
    <message>
        <source>pg1 weights</source>
        <translation>pg1 权重</translation>
    </message>
    <message>
        <source>pg2 norms</source>
        <translation>pg2 归一化</translation>
    </message>
    <message>
        <source>pg0 (epoch)</source>
        <translation>pg0（每轮）</translation>
    </message>
    <message>
        <source>pg1 (epoch)</source>
        <translation>pg1（每轮）</translation>
    </message>
    <message>
        <source>pg2 (epoch)</source>
        <translation>pg2（每轮）</translation>
    </message>
    <message>
        <source>seconds per epoch</source>
        <translation>每轮秒数</translation>
    </message>
    <message>
        <source>step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>resumed at %1</source>
        <translation>于 %1 恢复</translation>
    </message>
    <message>
        <source>best: epoch %1</source>
        <translation>最佳：第 %1 轮</translation>
    </message>
    <message>
        <source>epoch %1</source>
        <translation>第 %1 轮</translation>
    </message>
    <message>
        <source>step %1</source>
        <translation>第 %1 步</translation>
    </message>
    <message>
        <source>%1: %2 at %3</source>
        <translation>%1：%2（%3）</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <source>Reset view</source>
        <translation>重置视图</translation>
    </message>
    <message>
        <source>Logarithmic y axis</source>
        <translation>对数 y 轴</translation>
    </message>
    <message>
        <source>Export PNG…</source>
        <translation>导出 PNG…</translation>
    </message>
    <message>
        <source>Export chart as PNG</source>
        <translation>将图表导出为 PNG</translation>
    </message>
    <message>
        <source>PNG image (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Export chart data as CSV</source>
        <translation>将图表数据导出为 CSV</translation>
    </message>
    <message>
        <source>CSV file (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message numerus="yes">
        <source> (mean of %n batches)</source>
        <translation>
            <numerusform>（%n 批的平均值）</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>yolodeck::ChartsPanel</name>
    <message>
        <source>Smoothing:</source>
        <translation>平滑：</translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation>轮次</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>X axis:</source>
        <translation>X 轴：</translation>
    </message>
    <message>
        <source>Log y (losses, LR)</source>
        <translation>对数 y（损失、学习率）</translation>
    </message>
    <message>
        <source>Reset view</source>
        <translation>重置视图</translation>
    </message>
    <message>
        <source>Fit every chart to its data and follow new points again</source>
        <translation>让每个图表适配其数据并重新跟随新数据点</translation>
    </message>
    <message>
        <source>Drag to pan, wheel to zoom, right-click for log scale and export</source>
        <translation>拖动平移，滚轮缩放，右键切换对数刻度和导出</translation>
    </message>
</context>
<context>
    <name>yolodeck::CheckpointBrowser</name>
    <message>
        <source>No run open.</source>
        <translation>未打开运行。</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Continue training from this checkpoint (exact resume)</source>
        <translation>从此检查点继续训练（精确恢复）</translation>
    </message>
    <message>
        <source>Fine-tune from</source>
        <translation>从此微调</translation>
    </message>
    <message>
        <source>Start a new run from these weights with a fresh optimizer</source>
        <translation>以这些权重和全新的优化器开始新的运行</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Run folder: %1</source>
        <translation>运行文件夹：%1</translation>
    </message>
    <message>
        <source>Delete checkpoint</source>
        <translation>删除检查点</translation>
    </message>
    <message>
        <source>Delete %1?
This cannot be undone.</source>
        <translation>删除 %1？
此操作无法撤销。</translation>
    </message>
    <message>
        <source>Could not delete %1.</source>
        <translation>无法删除 %1。</translation>
    </message>
    <message>
        <source>Compare…</source>
        <translation>比较…</translation>
    </message>
    <message>
        <source>%1 is in use by the running training (it is being written or was resumed from). Stop the training first.</source>
        <translation>%1 正被当前训练使用（正在写入，或本次训练由它恢复）。请先停止训练。</translation>
    </message>
    <message>
        <source>Open a run to compare its checkpoints.</source>
        <translation>请先打开一个运行，再比较其检查点。</translation>
    </message>
    <message>
        <source>Select two checkpoints to compare them (or none, for best.pt against last.pt).</source>
        <translation>请选择两个检查点进行比较（或不选，比较 best.pt 与 last.pt）。</translation>
    </message>
    <message>
        <source>Compare checkpoints</source>
        <translation>比较检查点</translation>
    </message>
    <message>
        <source>Compare %1 (A) with %2 (B)%3</source>
        <translation>比较 %1（A）与 %2（B）%3</translation>
    </message>
    <message>
        <source>, the run&apos;s default pair; select two rows to compare others</source>
        <translation>，即该运行的默认组合；选择两行可比较其他检查点</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>Never remove the selected files: the run&apos;s keep= setting leaves files marked Keep on the disk</source>
        <translation>永不删除所选文件：运行的 keep= 设置不会删除标记为“保留”的文件</translation>
    </message>
    <message>
        <source>Keep checkpoint</source>
        <translation>保留检查点</translation>
    </message>
    <message>
        <source>Run folder: %1 — keep=%2: only the newest %2 periodic epochN.pt files stay, besides best.pt, last.pt, the final epoch and files marked Keep</source>
        <translation>运行文件夹：%1 — keep=%2：只保留最新的 %2 个定期 epochN.pt 文件，另外 best.pt、last.pt、最后一轮的文件和标记为“保留”的文件始终保留</translation>
    </message>
    <message>
        <source>Test resume…</source>
        <translation>测试恢复…</translation>
    </message>
    <message>
        <source>Train a few batches from this checkpoint in a scratch folder and compare them with what the run recorded</source>
        <translation>在临时文件夹中从此检查点训练几个批次，并与该运行记录的结果比较</translation>
    </message>
</context>
<context>
    <name>yolodeck::CheckpointTableModel</name>
    <message>
        <source>★ %1</source>
        <translation>★ %1</translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>无法读取</translation>
    </message>
    <message>
        <source>full (resumable)</source>
        <translation>完整（可恢复）</translation>
    </message>
    <message>
        <source>Ultralytics (continue, not exact)</source>
        <translation>Ultralytics（可继续，非精确）</translation>
    </message>
    <message>
        <source>Ultralytics weights (fine-tune)</source>
        <translation>Ultralytics 权重（用于微调）</translation>
    </message>
    <message>
        <source>weights (fine-tune)</source>
        <translation>仅权重（可微调）</translation>
    </message>
    <message>
        <source>%1
%2</source>
        <translation>%1
%2</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation>轮次</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批次</translation>
    </message>
    <message>
        <source>mAP50</source>
        <translation>mAP50</translation>
    </message>
    <message>
        <source>mAP50-95</source>
        <translation>mAP50-95</translation>
    </message>
    <message>
        <source>Fitness</source>
        <translation>适应度</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>保存时间</translation>
    </message>
    <message>
        <source>kept</source>
        <translation>已保留</translation>
    </message>
    <message>
        <source>removed at the next save</source>
        <translation>下次保存时删除</translation>
    </message>
    <message>
        <source>Marked Keep: keep= never removes it. Uncheck Keep to let it go.</source>
        <translation>已标记为“保留”：keep= 永远不会删除它。取消勾选“保留”即可允许删除。</translation>
    </message>
    <message>
        <source>Will be removed by keep=%1 when the run saves its next epochN.pt. Check Keep to keep it.</source>
        <translation>运行保存下一个 epochN.pt 时，keep=%1 将删除此文件。勾选“保留”可保留它。</translation>
    </message>
    <message>
        <source>A file marked Keep is never removed by the run&apos;s keep= setting, which otherwise leaves only the newest periodic epochN.pt files</source>
        <translation>标记为“保留”的文件永远不会被运行的 keep= 设置删除；否则只保留最新的定期 epochN.pt 文件</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>No such checkpoint row: %1</source>
        <translation>没有这一行检查点：%1</translation>
    </message>
</context>
<context>
    <name>yolodeck::ClassComparisonModel</name>
    <message>
        <source>Δ AP50-95 (B − A); the table lists regressions first</source>
        <translation>Δ AP50-95（B − A）；退步的类别排在前面</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Instances</source>
        <translation>实例数</translation>
    </message>
    <message>
        <source>AP50 A</source>
        <translation>AP50 A</translation>
    </message>
    <message>
        <source>AP50 B</source>
        <translation>AP50 B</translation>
    </message>
    <message>
        <source>Δ AP50</source>
        <translation>Δ AP50</translation>
    </message>
    <message>
        <source>AP50-95 A</source>
        <translation>AP50-95 A</translation>
    </message>
    <message>
        <source>AP50-95 B</source>
        <translation>AP50-95 B</translation>
    </message>
    <message>
        <source>Δ AP50-95</source>
        <translation>Δ AP50-95</translation>
    </message>
    <message>
        <source>P A</source>
        <translation>P A</translation>
    </message>
    <message>
        <source>P B</source>
        <translation>P B</translation>
    </message>
    <message>
        <source>R A</source>
        <translation>R A</translation>
    </message>
    <message>
        <source>R B</source>
        <translation>R B</translation>
    </message>
</context>
<context>
    <name>yolodeck::CompareDialog</name>
    <message>
        <source>Compare Checkpoints</source>
        <translation>比较检查点</translation>
    </message>
    <message>
        <source>e.g. runs/train/exp/weights/best.pt</source>
        <translation>例如 runs/train/exp/weights/best.pt</translation>
    </message>
    <message>
        <source>e.g. runs/train/exp/weights/last.pt</source>
        <translation>例如 runs/train/exp/weights/last.pt</translation>
    </message>
    <message>
        <source>optional: the run&apos;s own data.yaml</source>
        <translation>可选：默认使用该运行自己的 data.yaml</translation>
    </message>
    <message>
        <source>val</source>
        <translation>验证集 (val)</translation>
    </message>
    <message>
        <source>test</source>
        <translation>测试集 (test)</translation>
    </message>
    <message>
        <source>train</source>
        <translation>训练集 (train)</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Checkpoint A:</source>
        <translation>检查点 A：</translation>
    </message>
    <message>
        <source>Checkpoint A</source>
        <translation>检查点 A</translation>
    </message>
    <message>
        <source>Checkpoints (*.pt)</source>
        <translation>检查点 (*.pt)</translation>
    </message>
    <message>
        <source>Checkpoint B:</source>
        <translation>检查点 B：</translation>
    </message>
    <message>
        <source>Checkpoint B</source>
        <translation>检查点 B</translation>
    </message>
    <message>
        <source>Dataset:</source>
        <translation>数据集：</translation>
    </message>
    <message>
        <source>Evaluate on dataset</source>
        <translation>在数据集上评估</translation>
    </message>
    <message>
        <source>Dataset (*.yaml *.yml)</source>
        <translation>数据集 (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>Split:</source>
        <translation>划分：</translation>
    </message>
    <message>
        <source>Both checkpoints are evaluated once on the split (results are cached); B is compared against A.</source>
        <translation>两个检查点各在该划分上评估一次（结果会被缓存）；以 A 为基准比较 B。</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Choose two checkpoint files.</source>
        <translation>请选择两个检查点文件。</translation>
    </message>
    <message>
        <source>%1 does not exist.</source>
        <translation>%1 不存在。</translation>
    </message>
</context>
<context>
    <name>yolodeck::CompareWorker</name>
    <message>
        <source>The comparison failed: %1</source>
        <translation>比较失败：%1</translation>
    </message>
</context>
<context>
    <name>yolodeck::ComparisonCharts</name>
    <message>
        <source>Precision-recall (IoU 0.5)</source>
        <translation>精确率-召回率（IoU 0.5）</translation>
    </message>
    <message>
        <source>Precision vs confidence</source>
        <translation>精确率-置信度</translation>
    </message>
    <message>
        <source>Recall vs confidence</source>
        <translation>召回率-置信度</translation>
    </message>
    <message>
        <source>F1 vs confidence</source>
        <translation>F1-置信度</translation>
    </message>
    <message>
        <source>Δ (B − A)</source>
        <translation>Δ（B − A）</translation>
    </message>
    <message>
        <source>%1: %2 (epoch %3)</source>
        <translation>%1：%2（第 %3 轮）</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>%1 — mAP50 %2</source>
        <translation>%1 — mAP50 %2</translation>
    </message>
    <message>
        <source>%1 — %2 at %3</source>
        <translation>%1 — %2，置信度 %3</translation>
    </message>
    <message>
        <source>confidence</source>
        <translation>置信度</translation>
    </message>
    <message>
        <source>recall</source>
        <translation>召回率</translation>
    </message>
    <message>
        <source>precision</source>
        <translation>精确率</translation>
    </message>
    <message>
        <source>F1</source>
        <translation>F1</translation>
    </message>
    <message>
        <source>%1 at %2 %3</source>
        <translation>%1（%2 %3）</translation>
    </message>
    <message>
        <source>AP50-95 per class</source>
        <translation>各类别 AP50-95</translation>
    </message>
    <message>
        <source>AP50-95</source>
        <translation>AP50-95</translation>
    </message>
    <message>
        <source>Confusion matrix Δ (B − A)</source>
        <translation>混淆矩阵 Δ（B − A）</translation>
    </message>
    <message>
        <source>Confusion matrix %1</source>
        <translation>混淆矩阵 %1</translation>
    </message>
    <message>
        <source>, normalised</source>
        <translation>，已归一化</translation>
    </message>
    <message>
        <source>background</source>
        <translation>背景</translation>
    </message>
    <message>
        <source>true</source>
        <translation>真实</translation>
    </message>
    <message>
        <source>predicted</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>Weight change per layer, ‖B − A‖ / ‖A‖</source>
        <translation>各层权重变化，‖B − A‖ / ‖A‖</translation>
    </message>
    <message>
        <source>relative L2 change</source>
        <translation>相对 L2 变化</translation>
    </message>
    <message>
        <source>A and B hold the same weights</source>
        <translation>A 与 B 的权重相同</translation>
    </message>
    <message>
        <source>No layer changes were computed</source>
        <translation>未计算各层变化</translation>
    </message>
    <message>
        <source>mAP50-95 by epoch</source>
        <translation>各轮 mAP50-95</translation>
    </message>
    <message>
        <source>%1 history</source>
        <translation>%1 历史</translation>
    </message>
    <message>
        <source>epoch</source>
        <translation>轮次</translation>
    </message>
    <message>
        <source>mAP50-95</source>
        <translation>mAP50-95</translation>
    </message>
    <message>
        <source>Confusion matrix A</source>
        <translation>混淆矩阵 A</translation>
    </message>
    <message>
        <source>Confusion matrix B</source>
        <translation>混淆矩阵 B</translation>
    </message>
    <message>
        <source>Weight change per layer</source>
        <translation>各层权重变化</translation>
    </message>
    <message>
        <source>A (epoch %1)</source>
        <translation>A（第 %1 轮）</translation>
    </message>
    <message>
        <source>B (epoch %1)</source>
        <translation>B（第 %1 轮）</translation>
    </message>
</context>
<context>
    <name>yolodeck::ComparisonHeaderModel</name>
    <message>
        <source>%1: lower is better</source>
        <translation>%1：越低越好</translation>
    </message>
    <message>
        <source>%1: higher is better</source>
        <translation>%1：越高越好</translation>
    </message>
    <message>
        <source>Metric</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>A</source>
        <translation>A</translation>
    </message>
    <message>
        <source>A: %1</source>
        <translation>A：%1</translation>
    </message>
    <message>
        <source>B</source>
        <translation>B</translation>
    </message>
    <message>
        <source>B: %1</source>
        <translation>B：%1</translation>
    </message>
    <message>
        <source>Δ</source>
        <translation>Δ</translation>
    </message>
    <message>
        <source>Δ %</source>
        <translation>Δ %</translation>
    </message>
</context>
<context>
    <name>yolodeck::ComparisonView</name>
    <message>
        <source>A and B hold the same weights; evaluated once.</source>
        <translation>A 与 B 的权重相同；只评估了一次。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>the run&apos;s own data.yaml</source>
        <translation>该运行自己的 data.yaml</translation>
    </message>
    <message>
        <source>Evaluate both checkpoints on another dataset (data.yaml)</source>
        <translation>在另一个数据集（data.yaml）上评估两个检查点</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>val</source>
        <translation>验证集 (val)</translation>
    </message>
    <message>
        <source>test</source>
        <translation>测试集 (test)</translation>
    </message>
    <message>
        <source>train</source>
        <translation>训练集 (train)</translation>
    </message>
    <message>
        <source>Evaluate on…</source>
        <translation>评估于…</translation>
    </message>
    <message>
        <source>Run the comparison again on this data.yaml and split</source>
        <translation>在此 data.yaml 和划分上重新比较</translation>
    </message>
    <message>
        <source>Dataset:</source>
        <translation>数据集：</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>概览</translation>
    </message>
    <message>
        <source>Curves</source>
        <translation>曲线</translation>
    </message>
    <message>
        <source>Confusion</source>
        <translation>混淆矩阵</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图像</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>No comparison yet.

Select two checkpoints in the Checkpoints tab and press Compare… (or none, for best.pt against last.pt), drop two .pt files on the window, or use File → Compare Checkpoints….</source>
        <translation>尚无比较。

在“检查点”标签页中选择两个检查点并点击“比较…”（不选则比较 best.pt 与 last.pt），或将两个 .pt 文件拖放到窗口上，或使用“文件 → 比较检查点…”。</translation>
    </message>
    <message>
        <source>Evaluate on dataset</source>
        <translation>在数据集上评估</translation>
    </message>
    <message>
        <source>Dataset (*.yaml *.yml)</source>
        <translation>数据集 (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>Class:</source>
        <translation>类别：</translation>
    </message>
    <message>
        <source>Dots: each model&apos;s max-F1 point. Dashed line: the confidence slider of the Images tab.</source>
        <translation>圆点：各模型 F1 最高点。虚线：“图像”标签页中置信度滑块的位置。</translation>
    </message>
    <message>
        <source>Normalise by true class</source>
        <translation>按真实类别归一化</translation>
    </message>
    <message>
        <source>Detections with confidence &gt; 0.25, matched at IoU &gt; 0.45 regardless of class (as Ultralytics). Click a cell to list its images.</source>
        <translation>置信度 &gt; 0.25 的检测，以 IoU &gt; 0.45 不分类别匹配（与 Ultralytics 相同）。点击单元格可列出对应图像。</translation>
    </message>
    <message>
        <source>Where A and B disagree most</source>
        <translation>A 与 B 分歧最大</translation>
    </message>
    <message>
        <source>B misses what A finds</source>
        <translation>B 漏掉了 A 找到的目标</translation>
    </message>
    <message>
        <source>B adds false positives</source>
        <translation>B 新增误检</translation>
    </message>
    <message>
        <source>Both wrong</source>
        <translation>两者都错</translation>
    </message>
    <message>
        <source>Show all images</source>
        <translation>显示全部图像</translation>
    </message>
    <message>
        <source>Confidence threshold of both models</source>
        <translation>两个模型共用的置信度阈值</translation>
    </message>
    <message>
        <source>confidence %1</source>
        <translation>置信度 %1</translation>
    </message>
    <message>
        <source>Order:</source>
        <translation>排序：</translation>
    </message>
    <message>
        <source>Comparing %1 with %2…</source>
        <translation>正在比较 %1 与 %2…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Δ mAP50-95 = %1, 95% interval [%2, %3] (%4 resamples, seed %5): %6</source>
        <translation>Δ mAP50-95 = %1，95% 区间 [%2, %3]（%4 次重采样，种子 %5）：%6</translation>
    </message>
    <message>
        <source>B is better</source>
        <translation>B 更好</translation>
    </message>
    <message>
        <source>A is better</source>
        <translation>A 更好</translation>
    </message>
    <message>
        <source>not significant</source>
        <translation>不显著</translation>
    </message>
    <message>
        <source>Δ mAP50-95 = %1 (no bootstrap interval)</source>
        <translation>Δ mAP50-95 = %1（无自助法区间）</translation>
    </message>
    <message>
        <source>all classes</source>
        <translation>所有类别</translation>
    </message>
    <message>
        <source>full (resumable)</source>
        <translation>完整（可恢复）</translation>
    </message>
    <message>
        <source>weights only</source>
        <translation>仅权重</translation>
    </message>
    <message>
        <source>epoch %1</source>
        <translation>第 %1 轮</translation>
    </message>
    <message>
        <source>fitness %1</source>
        <translation>适应度 %1</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt;&amp;nbsp; &lt;b&gt;%2&lt;/b&gt;&lt;br&gt;&lt;span&gt;%3&lt;/span&gt;</source>
        <translation>&lt;b&gt;%1&lt;/b&gt;&amp;nbsp; &lt;b&gt;%2&lt;/b&gt;&lt;br&gt;&lt;span&gt;%3&lt;/span&gt;</translation>
    </message>
    <message>
        <source>%1 · %2 images of %3 (%4)</source>
        <translation>%1 · %3 划分的 %2 张图像（%4）</translation>
    </message>
    <message>
        <source>Only %1 images: differences this small may be noise.</source>
        <translation>仅有 %1 张图像：如此小的差异可能只是噪声。</translation>
    </message>
    <message>
        <source>At confidence %1: B finds %2 objects that A misses and misses %3 that A finds; both miss %4. False positives: A %5, B %6.</source>
        <translation>置信度 %1 时：B 找到了 A 漏掉的 %2 个目标，漏掉了 A 找到的 %3 个；两者都漏掉 %4 个。误检：A %5 个，B %6 个。</translation>
    </message>
    <message>
        <source>background</source>
        <translation>背景</translation>
    </message>
    <message>
        <source>A</source>
        <translation>A</translation>
    </message>
    <message>
        <source>B</source>
        <translation>B</translation>
    </message>
    <message>
        <source>A or B</source>
        <translation>A 或 B</translation>
    </message>
    <message>
        <source>%1: true %2, predicted %3 (%4 images)</source>
        <translation>%1：真实 %2，预测 %3（%4 张图像）</translation>
    </message>
</context>
<context>
    <name>yolodeck::Diagnosis</name>
    <message>
        <source>Data loading is the bottleneck: each training step waits %1% of its time for images</source>
        <translation>数据加载是瓶颈：每个训练步有 %1% 的时间在等待图像</translation>
    </message>
    <message>
        <source>Try more loader workers (workers=%1) or cache=ram.</source>
        <translation>请增加加载线程（workers=%1）或使用 cache=ram。</translation>
    </message>
    <message>
        <source>Try more loader workers (workers=%1).</source>
        <translation>请增加加载线程（workers=%1）。</translation>
    </message>
    <message>
        <source>Try more loader workers or cache=ram.</source>
        <translation>请增加加载线程或使用 cache=ram。</translation>
    </message>
    <message>
        <source>The GPU is under-used: %1 averaged %2% utilisation over the last %3 s. </source>
        <translation>GPU 未被充分利用：%1 在最近 %3 秒内平均利用率为 %2%。</translation>
    </message>
    <message>
        <source>Data loading (above) is the likely cause.</source>
        <translation>可能的原因是数据加载（见上）。</translation>
    </message>
    <message>
        <source>The system is swapping: </source>
        <translation>系统正在使用交换空间：</translation>
    </message>
    <message>
        <source>swap use grew from %1 to %2 MiB in %3 s</source>
        <translation>交换空间用量在 %3 秒内从 %1 MiB 增长到 %2 MiB</translation>
    </message>
    <message>
        <source>%1 MiB were read back from swap in %2 s</source>
        <translation>%2 秒内从交换空间读回了 %1 MiB</translation>
    </message>
    <message>
        <source> (RAM %1 of %2 GiB in use). Everything slows down; lower batch or workers, or turn off cache=ram.</source>
        <translation>（内存已用 %1 / %2 GiB）。一切都会变慢；请降低 batch 或 workers，或关闭 cache=ram。</translation>
    </message>
    <message>
        <source>GPU memory is nearly full on %1: %2 of %3 GiB in use (%4%). A larger batch or image size will run out of memory.</source>
        <translation>%1 的显存即将用尽：已用 %2 / %3 GiB（%4%）。更大的批次或图像尺寸将导致显存不足。</translation>
    </message>
    <message>
        <source>Epochs are slower since the resume: %1 s per epoch now against %2 s before (+%3%). Check the device, threads= and workers= of this session.</source>
        <translation>恢复后每轮变慢：现在每轮 %1 秒，之前为 %2 秒（+%3%）。请检查本次会话的设备、threads= 和 workers=。</translation>
    </message>
    <message>
        <source>%1 images/s</source>
        <translation>%1 张图像/秒</translation>
    </message>
    <message>
        <source>%1 loader workers</source>
        <translation>%1 个加载线程</translation>
    </message>
    <message>
        <source> with </source>
        <translation>，</translation>
    </message>
    <message>
        <source>about %1 of RAM for %2 images</source>
        <translation>%2 张图像约需 %1 内存</translation>
    </message>
    <message>
        <source>about %1 of RAM</source>
        <translation>约需 %1 内存</translation>
    </message>
    <message>
        <source>; %1 GiB available</source>
        <translation>；可用 %1 GiB</translation>
    </message>
    <message>
        <source>%1% of %2 cores</source>
        <translation>%2 个核心的 %1%</translation>
    </message>
    <message>
        <source>%1%</source>
        <translation>%1%</translation>
    </message>
    <message>
        <source>The CPU is already saturated (%1), so more loader workers cannot help: preparing the images is CPU-bound</source>
        <translation>CPU 已经饱和（%1），增加加载线程也无济于事：图像准备受限于 CPU</translation>
    </message>
    <message>
        <source> (decoding takes %1 ms per image)</source>
        <translation>（每张图像解码耗时 %1 毫秒）</translation>
    </message>
    <message>
        <source>The training images are a median %1 px on their long side, %2× imgsz=%3: decoding them costs far more than training at that size. Resize a copy of the dataset once with `yolodeck-cli resize data=%4 imgsz=%3` and train on the copy</source>
        <translation>训练图像长边的中位数为 %1 像素，是 imgsz=%3 的 %2×：解码它们的开销远大于在该尺寸下训练。请用 `yolodeck-cli resize data=%4 imgsz=%3` 将数据集缩小复制一次，并在副本上训练</translation>
    </message>
    <message>
        <source>, or use cache=ram (%1), which decodes each image once</source>
        <translation>，或使用 cache=ram（%1），每张图像只解码一次</translation>
    </message>
    <message>
        <source>each image kept at imgsz</source>
        <translation>每张图像按 imgsz 保存</translation>
    </message>
    <message>
        <source>Use cache=ram (%1): each image is then decoded once, not every epoch.</source>
        <translation>请使用 cache=ram（%1）：这样每张图像只解码一次，而不是每个轮次都解码。</translation>
    </message>
    <message>
        <source>cache=ram would not fit (%1). Fewer augmentations or a machine with more cores would help.</source>
        <translation>cache=ram 放不下（%1）。减少数据增强或换用核心更多的机器会有帮助。</translation>
    </message>
    <message>
        <source>cache=ram is on, so the cost is augmentation: a machine with more cores, or fewer augmentations (mosaic=0), would help.</source>
        <translation>cache=ram 已开启，因此开销来自数据增强：换用核心更多的机器或减少增强（mosaic=0）会有帮助。</translation>
    </message>
    <message>
        <source>%1 of the %2 cores are idle (CPU %3%): try workers=%4.</source>
        <translation>%2 个核心中有 %1 个空闲（CPU %3%）：请尝试 workers=%4。</translation>
    </message>
    <message>
        <source>%1 of the %2 cores are idle (CPU %3%) although workers=%4 already uses every core: the loader waits on the disk, not on the CPU.</source>
        <translation>虽然 workers=%4 已用满所有核心，%2 个核心中仍有 %1 个空闲（CPU %3%）：加载器在等待磁盘，而不是 CPU。</translation>
    </message>
    <message>
        <source> cache=ram reads each image once.</source>
        <translation> cache=ram 只读取每张图像一次。</translation>
    </message>
    <message>
        <source>workers=%1 on a machine with %2 CPU cores: loader threads beyond the cores only take turns on them and hold more images in memory. workers=%2 does the same work (Ultralytics caps workers at the core count for this reason).</source>
        <translation>workers=%1，而机器只有 %2 个 CPU 核心：超出核心数的加载线程只会轮流占用核心，并在内存中保留更多图像。workers=%2 能完成同样的工作（Ultralytics 正因如此将 workers 限制为核心数）。</translation>
    </message>
    <message>
        <source>Reading the images is slow: %1 ms per image from storage against %2 ms to decode it</source>
        <translation>读取图像很慢：每张图像从存储读取需 %1 毫秒，而解码只需 %2 毫秒</translation>
    </message>
    <message>
        <source>The images are read over the network</source>
        <translation>图像通过网络读取</translation>
    </message>
    <message>
        <source> (the dataset is on %1)</source>
        <translation>（数据集位于 %1 上）</translation>
    </message>
    <message>
        <source>. Copy the dataset to a local disk</source>
        <translation>。请将数据集复制到本地磁盘</translation>
    </message>
    <message>
        <source>, or use cache=ram so each image is read once</source>
        <translation>，或使用 cache=ram 使每张图像只读取一次</translation>
    </message>
    <message>
        <source>, or use cache=ram (%1) so each image is read once</source>
        <translation>，或使用 cache=ram（%1）使每张图像只读取一次</translation>
    </message>
    <message>
        <source>The CPU is saturated (%1%): the GPU waits for the host, so the batch size is not what limits it.</source>
        <translation>CPU 已饱和（%1%）：GPU 在等待主机，因此限制它的并不是批大小。</translation>
    </message>
    <message>
        <source>A larger batch or image size would use it better</source>
        <translation>更大的批大小或图像尺寸能更好地利用它</translation>
    </message>
    <message>
        <source>: %1 of its %2 GiB of memory are free</source>
        <translation>：其 %2 GiB 显存中有 %1 GiB 空闲</translation>
    </message>
    <message>
        <source>cache=ram is on and still filling: each image is decoded once, in the first epoch, and the epochs after it skip the decoding.</source>
        <translation>cache=ram 已开启，仍在填充：每张图像只在第一个轮次解码一次，之后的轮次不再解码。</translation>
    </message>
</context>
<context>
    <name>yolodeck::ImageComparisonModel</name>
    <message>
        <source>Labels A finds and B misses</source>
        <translation>A 找到而 B 漏掉的标注</translation>
    </message>
    <message>
        <source>Labels B finds and A misses</source>
        <translation>B 找到而 A 漏掉的标注</translation>
    </message>
    <message>
        <source>Labels the model misses</source>
        <translation>模型漏掉的标注</translation>
    </message>
    <message>
        <source>Image</source>
        <translation>图像</translation>
    </message>
    <message>
        <source>Labels</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>TP A</source>
        <translation>TP A</translation>
    </message>
    <message>
        <source>FP A</source>
        <translation>FP A</translation>
    </message>
    <message>
        <source>FN A</source>
        <translation>FN A</translation>
    </message>
    <message>
        <source>TP B</source>
        <translation>TP B</translation>
    </message>
    <message>
        <source>FP B</source>
        <translation>FP B</translation>
    </message>
    <message>
        <source>FN B</source>
        <translation>FN B</translation>
    </message>
    <message>
        <source>Only A</source>
        <translation>仅 A</translation>
    </message>
    <message>
        <source>Only B</source>
        <translation>仅 B</translation>
    </message>
</context>
<context>
    <name>yolodeck::ImageComparisonView</name>
    <message>
        <source>missed %1</source>
        <translation>漏检 %1</translation>
    </message>
    <message>
        <source>Ground truth</source>
        <translation>真实标注</translation>
    </message>
    <message>
        <source>A</source>
        <translation>A</translation>
    </message>
    <message>
        <source>B</source>
        <translation>B</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>labels: %1</source>
        <translation>标注：%1</translation>
    </message>
    <message>
        <source>TP %1 · FP %2 · FN %3</source>
        <translation>TP %1 · FP %2 · FN %3</translation>
    </message>
    <message>
        <source>No image selected</source>
        <translation>未选择图像</translation>
    </message>
    <message>
        <source>The image file cannot be read</source>
        <translation>无法读取图像文件</translation>
    </message>
    <message>
        <source>label</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>true positive</source>
        <translation>正确检测</translation>
    </message>
    <message>
        <source>false positive</source>
        <translation>误检</translation>
    </message>
    <message>
        <source>wrong class</source>
        <translation>类别错误</translation>
    </message>
    <message>
        <source>missed label (FN)</source>
        <translation>漏检标注 (FN)</translation>
    </message>
    <message>
        <source>wheel: zoom · drag: pan · double-click: fit · ←/→: previous/next image</source>
        <translation>滚轮：缩放 · 拖动：平移 · 双击：适应窗口 · ←/→：上一张/下一张</translation>
    </message>
</context>
<context>
    <name>yolodeck::LogPane</name>
    <message>
        <source>All messages</source>
        <translation>全部消息</translation>
    </message>
    <message>
        <source>Warnings and errors</source>
        <translation>警告和错误</translation>
    </message>
    <message>
        <source>Errors only</source>
        <translation>仅错误</translation>
    </message>
    <message>
        <source>Filter text</source>
        <translation>筛选文本</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Show:</source>
        <translation>显示：</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Select All</source>
        <translation>全选</translation>
    </message>
</context>
<context>
    <name>yolodeck::LogModel</name>
    <message>
        <source>info</source>
        <translation>信息</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>%1 [%2] %3</source>
        <translation>%1 [%2] %3</translation>
    </message>
</context>
<context>
    <name>yolodeck::MainWindow</name>
    <message>
        <source>YoloDeck</source>
        <translation>YoloDeck</translation>
    </message>
    <message>
        <source>Charts</source>
        <translation>图表</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>YoloDeck is ready. Choose a dataset and press Start, or drop a checkpoint (.pt) on the window to resume it.</source>
        <translation>YoloDeck 已就绪。选择数据集后点击“开始”，或将检查点（.pt）拖到窗口上以恢复训练。</translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation>开始(&amp;S)</translation>
    </message>
    <message>
        <source>Start training with the settings on the left (Ctrl+R)</source>
        <translation>使用左侧设置开始训练（Ctrl+R）</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <source>Pause between batches; press again to continue</source>
        <translation>在批次之间暂停；再次点击继续</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>停止(&amp;T)</translation>
    </message>
    <message>
        <source>Stop: last.pt is saved at the current batch, resume it later</source>
        <translation>停止：在当前批次保存 last.pt，之后可恢复</translation>
    </message>
    <message>
        <source>&amp;Open Run…</source>
        <translation>打开运行(&amp;O)…</translation>
    </message>
    <message>
        <source>Show the curves and checkpoints of a run folder</source>
        <translation>显示运行文件夹的曲线和检查点</translation>
    </message>
    <message>
        <source>&amp;Resume from Checkpoint…</source>
        <translation>从检查点恢复(&amp;R)…</translation>
    </message>
    <message>
        <source>Open run folder</source>
        <translation>打开运行文件夹</translation>
    </message>
    <message>
        <source>Resume from checkpoint</source>
        <translation>从检查点恢复</translation>
    </message>
    <message>
        <source>Checkpoints (*.pt)</source>
        <translation>检查点 (*.pt)</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Recent Runs</source>
        <translation>最近的运行</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Training</source>
        <translation>训练(&amp;T)</translation>
    </message>
    <message>
        <source>Use the &amp;Demo Dataset</source>
        <translation>使用演示数据集(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>系统默认</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>The language changes the next time YoloDeck starts.</source>
        <translation>语言将在下次启动 YoloDeck 时更改。</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About YoloDeck</source>
        <translation>关于 YoloDeck(&amp;A)</translation>
    </message>
    <message>
        <source>About YoloDeck</source>
        <translation>关于 YoloDeck</translation>
    </message>
    <message>
        <source>&lt;b&gt;YoloDeck&lt;/b&gt;&lt;br&gt;Train YOLO detectors without ever losing a run.&lt;br&gt;&lt;br&gt;Checkpoints open in PyTorch with &lt;code&gt;torch.jit.load(path, _extra_files={&quot;meta.json&quot;: &quot;&quot;})&lt;/code&gt;.&lt;br&gt;&lt;br&gt;Licensed under the GNU GPL version 3 or later.</source>
        <translation>&lt;b&gt;YoloDeck&lt;/b&gt;&lt;br&gt;训练 YOLO 检测器，绝不丢失任何一次训练。&lt;br&gt;&lt;br&gt;检查点可在 PyTorch 中用 &lt;code&gt;torch.jit.load(path, _extra_files={&quot;meta.json&quot;: &quot;&quot;})&lt;/code&gt; 打开。&lt;br&gt;&lt;br&gt;以 GNU GPL 第 3 版或更高版本授权。</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>训练中</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>Epoch being trained / total</source>
        <translation>当前训练轮次 / 总轮次</translation>
    </message>
    <message>
        <source>Batch within the epoch</source>
        <translation>本轮中的批次</translation>
    </message>
    <message>
        <source>Training throughput</source>
        <translation>训练吞吐量</translation>
    </message>
    <message>
        <source>Estimated time to the end of the run</source>
        <translation>预计剩余时间</translation>
    </message>
    <message>
        <source>Training device</source>
        <translation>训练设备</translation>
    </message>
    <message>
        <source>&amp;Continue</source>
        <translation>继续(&amp;C)</translation>
    </message>
    <message>
        <source>Cannot start</source>
        <translation>无法开始</translation>
    </message>
    <message>
        <source>Starting: %1</source>
        <translation>开始：%1</translation>
    </message>
    <message>
        <source>Preparing: scanning the dataset and building the model…</source>
        <translation>准备中：正在扫描数据集并构建模型…</translation>
    </message>
    <message>
        <source>Paused between batches</source>
        <translation>已在批次之间暂停</translation>
    </message>
    <message>
        <source>Stopping: saving last.pt at the current batch…</source>
        <translation>正在停止：在当前批次保存 last.pt…</translation>
    </message>
    <message>
        <source>epoch %1/%2</source>
        <translation>轮次 %1/%2</translation>
    </message>
    <message>
        <source>YoloDeck — %1</source>
        <translation>YoloDeck — %1</translation>
    </message>
    <message>
        <source>Exact resume</source>
        <translation>精确恢复</translation>
    </message>
    <message>
        <source>Resume (not exact)</source>
        <translation>恢复（非精确）</translation>
    </message>
    <message>
        <source>Branch</source>
        <translation>分支</translation>
    </message>
    <message>
        <source>Fine-tune</source>
        <translation>微调</translation>
    </message>
    <message>
        <source>New run</source>
        <translation>新运行</translation>
    </message>
    <message>
        <source>%1: %2, %3 (%4 parameters) on %5 (%6 training engine), %7 train / %8 val images, %9 epochs</source>
        <translation>%1：%2，%3（%4 个参数），设备 %5（训练引擎 %6），训练图像 %7 张 / 验证图像 %8 张，%9 轮</translation>
    </message>
    <message>
        <source>batch %1/%2</source>
        <translation>批次 %1/%2</translation>
    </message>
    <message>
        <source>%1 img/s</source>
        <translation>%1 张/秒</translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <source>validating %1/%2</source>
        <translation>验证中 %1/%2</translation>
    </message>
    <message>
        <source>Epoch %1/%2 in %3 s: P %4, R %5, mAP50 %6, mAP50-95 %7%8</source>
        <translation>第 %1/%2 轮，用时 %3 秒：P %4，R %5，mAP50 %6，mAP50-95 %7%8</translation>
    </message>
    <message>
        <source> (best so far)</source>
        <translation>（目前最佳）</translation>
    </message>
    <message>
        <source>Checkpoint %1 was not saved: %2</source>
        <translation>检查点 %1 未保存：%2</translation>
    </message>
    <message>
        <source>Saved %1 (%2 ms)</source>
        <translation>已保存 %1（%2 毫秒）</translation>
    </message>
    <message>
        <source>Training failed</source>
        <translation>训练失败</translation>
    </message>
    <message>
        <source>Training finished after %1 epochs.</source>
        <translation>训练在 %1 轮后完成。</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Stopped — resume it from the Checkpoints tab</source>
        <translation>已停止 — 可在“检查点”页恢复</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Stop the training before opening another run.</source>
        <translation>请先停止训练再打开其他运行。</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>正在读取 %1…</translation>
    </message>
    <message>
        <source>Open run</source>
        <translation>打开运行</translation>
    </message>
    <message>
        <source>Showing %1: %2 epochs</source>
        <translation>显示 %1：%2 轮</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Stop the current training before resuming another checkpoint.</source>
        <translation>请先停止当前训练再恢复其他检查点。</translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation>正在检查 %1…</translation>
    </message>
    <message>
        <source>Resuming from %1</source>
        <translation>从 %1 恢复</translation>
    </message>
    <message>
        <source>Fine-tune: model= is now %1. Check the settings on the left and press Start; this is a new run with a fresh optimizer, not a resume.</source>
        <translation>微调：model= 已设为 %1。请检查左侧的设置后按“开始”；这是一次使用全新优化器的新训练，而不是恢复训练。</translation>
    </message>
    <message>
        <source>Fine-tune from %1: press Start</source>
        <translation>从 %1 微调：请点击“开始”</translation>
    </message>
    <message>
        <source>Training is running</source>
        <translation>训练正在进行</translation>
    </message>
    <message>
        <source>Stop training and quit? last.pt is saved at the current batch, so the run can be resumed exactly.</source>
        <translation>停止训练并退出？last.pt 将在当前批次保存，之后可以精确恢复。</translation>
    </message>
    <message>
        <source>Following %1: %2 epochs (another process is training it)</source>
        <translation>正在跟踪 %1：%2 轮（另一个进程正在训练它）</translation>
    </message>
    <message>
        <source>Showing Ultralytics run %1: %2 epochs</source>
        <translation>显示 Ultralytics 运行 %1：%2 轮</translation>
    </message>
    <message>
        <source>Following Ultralytics run %1 (results.csv, %2 epochs)</source>
        <translation>正在跟踪 Ultralytics 运行 %1（results.csv，%2 轮）</translation>
    </message>
    <message>
        <source>The Ultralytics run %1 has ended.</source>
        <translation>Ultralytics 运行 %1 已结束。</translation>
    </message>
    <message>
        <source>YoloDeck — %1 (Ultralytics)</source>
        <translation>YoloDeck — %1（Ultralytics）</translation>
    </message>
    <message>
        <source>Ultralytics logs no batch losses: the charts show one point per epoch and grow with results.csv.</source>
        <translation>Ultralytics 不记录批次损失：图表每轮显示一个点，并随 results.csv 增长。</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Compare checkpoints</source>
        <translation>比较检查点</translation>
    </message>
    <message>
        <source>Comparison cancelled.</source>
        <translation>比较已取消。</translation>
    </message>
    <message>
        <source>Compared %1 (A) with %2 (B): mAP50-95 %3 → %4</source>
        <translation>已比较 %1（A）与 %2（B）：mAP50-95 %3 → %4</translation>
    </message>
    <message>
        <source>&amp;Compare Checkpoints…</source>
        <translation>比较检查点(&amp;C)…</translation>
    </message>
    <message>
        <source>Evaluate two checkpoints on the same split and compare them</source>
        <translation>在同一划分上评估两个检查点并进行比较</translation>
    </message>
    <message>
        <source>Comparing %1 (A) with %2 (B)</source>
        <translation>正在比较 %1（A）与 %2（B）</translation>
    </message>
    <message>
        <source>&amp;System Report…</source>
        <translation>系统报告(&amp;S)…</translation>
    </message>
</context>
<context>
    <name>yolodeck::NvmlLibrary</name>
    <message>
        <source>No NVIDIA GPU / driver not found (%1 could not be loaded).</source>
        <translation>未找到 NVIDIA GPU / 驱动（无法加载 %1）。</translation>
    </message>
    <message>
        <source>No usable NVIDIA driver: %1 lacks %2 (driver too old?).</source>
        <translation>没有可用的 NVIDIA 驱动：%1 缺少 %2（驱动太旧？）。</translation>
    </message>
    <message>
        <source>No NVIDIA GPU: the driver library loaded but NVML did not start (error %1).</source>
        <translation>没有 NVIDIA GPU：驱动库已加载，但 NVML 未能启动（错误 %1）。</translation>
    </message>
    <message>
        <source>GPU %1</source>
        <translation>GPU %1</translation>
    </message>
</context>
<context>
    <name>yolodeck::RehearsalDialog</name>
    <message>
        <source>Test resume from %1</source>
        <translation>测试从 %1 恢复</translation>
    </message>
    <message>
        <source>Planning the resume and training a few batches in a scratch folder (the run folder is not touched)…</source>
        <translation>正在规划恢复，并在临时文件夹中训练几个批次（不会改动运行文件夹）…</translation>
    </message>
    <message>
        <source>Cancelling after the current batch…</source>
        <translation>将在当前批次结束后取消…</translation>
    </message>
    <message>
        <source>Rehearsing batch %1…</source>
        <translation>正在演练第 %1 批…</translation>
    </message>
    <message>
        <source>epoch %1 batch %2/%3: box %4 cls %5 dfl %6, %7 ms</source>
        <translation>第 %1 轮 第 %2/%3 批：box %4 cls %5 dfl %6，%7 毫秒</translation>
    </message>
    <message>
        <source>The resume cannot be rehearsed:</source>
        <translation>无法演练此次恢复：</translation>
    </message>
    <message>
        <source>Rehearsal cancelled.</source>
        <translation>演练已取消。</translation>
    </message>
    <message>
        <source>Rehearsal done.</source>
        <translation>演练完成。</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>yolodeck::ResumeDialog</name>
    <message>
        <source>Resume from %1</source>
        <translation>从 %1 恢复</translation>
    </message>
    <message>
        <source>&lt;b&gt;Exact resume&lt;/b&gt; in the same run folder.</source>
        <translation>在同一运行文件夹中&lt;b&gt;精确恢复&lt;/b&gt;。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Resume (not exact)&lt;/b&gt; in the same run folder.</source>
        <translation>在同一运行文件夹中&lt;b&gt;恢复（非精确）&lt;/b&gt;。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Continue this Ultralytics run (not exact)&lt;/b&gt; in a new YoloDeck run folder. Its weights, EMA, optimizer state and history are restored; the data order differs from Ultralytics&apos;. The Ultralytics files are not modified.</source>
        <translation>&lt;b&gt;继续此 Ultralytics 训练（非精确）&lt;/b&gt;，写入新的 YoloDeck 训练文件夹。其权重、EMA、优化器状态和历史记录都会恢复；数据顺序与 Ultralytics 不同。Ultralytics 的文件不会被修改。</translation>
    </message>
    <message>
        <source>Continue in YoloDeck</source>
        <translation>在 YoloDeck 中继续</translation>
    </message>
    <message>
        <source>&lt;b&gt;Exact resume as a branch:&lt;/b&gt; this is an older state of its run, so training continues in a new folder and nothing after it is overwritten.</source>
        <translation>&lt;b&gt;作为分支精确恢复：&lt;/b&gt;这是该训练较早的状态，因此训练将在新文件夹中继续，之后的任何内容都不会被覆盖。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Fine-tune only:&lt;/b&gt; this file holds weights without optimizer state, so it cannot be resumed. A new run starts from its weights.</source>
        <translation>&lt;b&gt;只能微调：&lt;/b&gt;此文件只含权重、没有优化器状态，因此无法恢复训练。将从这些权重开始一次新训练。</translation>
    </message>
    <message>
        <source>&lt;b&gt;This file cannot be resumed.&lt;/b&gt;</source>
        <translation>&lt;b&gt;此文件无法恢复。&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Checkpoint:</source>
        <translation>检查点：</translation>
    </message>
    <message>
        <source>%1 epochs completed, stopped at batch %2 of the next</source>
        <translation>已完成 %1 轮，停在下一轮的第 %2 批</translation>
    </message>
    <message>
        <source>%1 epochs completed</source>
        <translation>已完成 %1 轮</translation>
    </message>
    <message>
        <source>State:</source>
        <translation>状态：</translation>
    </message>
    <message>
        <source>Writes to:</source>
        <translation>写入到：</translation>
    </message>
    <message>
        <source>Raise it to train longer: the learning-rate schedule continues smoothly to the new end</source>
        <translation>调高它即可训练更久：学习率调度会平滑地延续到新的终点</translation>
    </message>
    <message>
        <source>Total epochs:</source>
        <translation>总轮数：</translation>
    </message>
    <message>
        <source>&lt;p&gt;Checks passed:&lt;/p&gt;</source>
        <translation>&lt;p&gt;已通过的检查：&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;Warnings:&lt;/p&gt;</source>
        <translation>&lt;p&gt;警告：&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;Problems:&lt;/p&gt;</source>
        <translation>&lt;p&gt;问题：&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Resume as branch</source>
        <translation>作为分支恢复</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Fine-tune from it</source>
        <translation>从它微调</translation>
    </message>
    <message>
        <source>Test resume…</source>
        <translation>测试恢复…</translation>
    </message>
    <message>
        <source>Train a few batches from this checkpoint in a scratch folder and compare them with what the run recorded</source>
        <translation>在临时文件夹中从此检查点训练几个批次，并与该运行记录的结果比较</translation>
    </message>
</context>
<context>
    <name>yolodeck::RunReplay</name>
    <message>
        <source>%1 is not a run folder: it has neither results.csv nor events.jsonl.</source>
        <translation>%1 不是运行文件夹：其中既没有 results.csv 也没有 events.jsonl。</translation>
    </message>
</context>
<context>
    <name>yolodeck::RunSetupPanel</name>
    <message>
        <source>path/to/data.yaml</source>
        <translation>path/to/data.yaml</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>Choose a data.yaml</source>
        <translation>选择 data.yaml</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Model scale (n s m l x; tiny for quick tests) or a .pt file to fine-tune from: a YoloDeck checkpoint or Ultralytics weights such as yolov8n.pt or a run&apos;s best.pt</source>
        <translation>模型规模（n s m l x；tiny 用于快速测试）或用于微调的 .pt 文件：YoloDeck 检查点，或 Ultralytics 权重，如 yolov8n.pt 或某次训练的 best.pt</translation>
    </message>
    <message>
        <source>Choose weights to fine-tune from (.pt)</source>
        <translation>选择用于微调的权重（.pt）</translation>
    </message>
    <message>
        <source>Choose weights to fine-tune from</source>
        <translation>选择用于微调的权重</translation>
    </message>
    <message>
        <source>PyTorch weights: YoloDeck or Ultralytics (*.pt)</source>
        <translation>PyTorch 权重：YoloDeck 或 Ultralytics (*.pt)</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>轮数</translation>
    </message>
    <message>
        <source>Image size</source>
        <translation>图像尺寸</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批次</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Also keep epochN.pt every N epochs</source>
        <translation>每 N 轮额外保存 epochN.pt</translation>
    </message>
    <message>
        <source>Save every</source>
        <translation>保存间隔</translation>
    </message>
    <message>
        <source>Choose the folder that holds the runs</source>
        <translation>选择存放运行的文件夹</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <source>Run name</source>
        <translation>运行名称</translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation>高级</translation>
    </message>
    <message>
        <source>%1=: %2</source>
        <translation>%1=: %2</translation>
    </message>
    <message>
        <source>data= is required: choose a data.yaml or the demo dataset</source>
        <translation>需要 data=：请选择 data.yaml 或演示数据集</translation>
    </message>
    <message>
        <source>data=%1 is not valid: no such file</source>
        <translation>data=%1 无效：文件不存在</translation>
    </message>
    <message>
        <source>Fix the fields marked in red to start.</source>
        <translation>请修正标红的字段后再开始。</translation>
    </message>
    <message>
        <source>Demo (generated shapes)</source>
        <translation>演示（生成的形状）</translation>
    </message>
    <message>
        <source>auto (CUDA if present)</source>
        <translation>自动（有 CUDA 则用）</translation>
    </message>
    <message>
        <source>cpu</source>
        <translation>cpu</translation>
    </message>
    <message>
        <source>Choose a dataset</source>
        <translation>选择数据集</translation>
    </message>
    <message>
        <source>Dataset description (*.yaml *.yml)</source>
        <translation>数据集描述 (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>nproc=: data-parallel training in this many local processes. batch stays the global batch: it is split evenly over the processes, so it must be divisible by their number. With threads=0 (every core) each process gets cores/N LibTorch intra-op threads.</source>
        <translation>nproc=：在本机用这么多个进程做数据并行训练。batch 仍是全局批次：它平均分给各进程，因此必须能被进程数整除。threads=0（全部核心）时，每个进程分得 核心数/N 个 LibTorch 算子内线程。</translation>
    </message>
    <message>
        <source>Processes</source>
        <translation>进程数</translation>
    </message>
    <message>
        <source>batch=%1 is not valid with nproc=%2: the global batch is split evenly over the processes, so it must be divisible by %2 (try batch=%3 or %4, or another number of processes).</source>
        <translation>batch=%1 与 nproc=%2 不相容：全局批次要平均分给各进程，因此必须能被 %2 整除（可试 batch=%3 或 %4，或换一个进程数）。</translation>
    </message>
    <message>
        <source>batch=%1 is not valid with nproc=%2: each process needs at least one image per step (try batch=%3 or fewer processes).</source>
        <translation>batch=%1 与 nproc=%2 不相容：每个进程每步至少需要一张图像（可试 batch=%3，或减少进程数）。</translation>
    </message>
</context>
<context>
    <name>yolodeck::SystemPanel</name>
    <message>
        <source>GPUs</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>Looking for NVIDIA GPUs…</source>
        <translation>正在查找 NVIDIA GPU…</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>RAM</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>Swap</source>
        <translation>交换空间</translation>
    </message>
    <message>
        <source>This program</source>
        <translation>本程序</translation>
    </message>
    <message>
        <source>Training throughput</source>
        <translation>训练吞吐量</translation>
    </message>
    <message>
        <source>Images/s</source>
        <translation>图像/秒</translation>
    </message>
    <message>
        <source>Waiting for data</source>
        <translation>等待数据</translation>
    </message>
    <message>
        <source>Diagnosis</source>
        <translation>诊断</translation>
    </message>
    <message>
        <source>The diagnosis starts when training runs.</source>
        <translation>训练开始后进行诊断。</translation>
    </message>
    <message>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>Utilisation</source>
        <translation>利用率</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>显存</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Power / limit</source>
        <translation>功耗 / 上限</translation>
    </message>
    <message>
        <source>No NVIDIA GPU / driver not found.</source>
        <translation>未找到 NVIDIA GPU / 驱动。</translation>
    </message>
    <message>
        <source>The NVIDIA driver reports no GPU.</source>
        <translation>NVIDIA 驱动未报告任何 GPU。</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>%1%</source>
        <translation>%1%</translation>
    </message>
    <message>
        <source>%1 / %2 GiB</source>
        <translation>%1 / %2 GiB</translation>
    </message>
    <message>
        <source>%1 °C</source>
        <translation>%1 °C</translation>
    </message>
    <message>
        <source>%1 / %2 W</source>
        <translation>%1 / %2 W</translation>
    </message>
    <message>
        <source>%1 W</source>
        <translation>%1 W</translation>
    </message>
    <message>
        <source>no swap</source>
        <translation>无交换空间</translation>
    </message>
    <message>
        <source>%1 GiB resident</source>
        <translation>常驻 %1 GiB</translation>
    </message>
    <message>
        <source>%1</source>
        <translation>%1</translation>
    </message>
    <message>
        <source>%1% of each step</source>
        <translation>每步的 %1%</translation>
    </message>
    <message>
        <source>No problem found: the run looks healthy.</source>
        <translation>未发现问题：训练运行正常。</translation>
    </message>
    <message>
        <source>Processes</source>
        <translation>进程</translation>
    </message>
    <message>
        <source>Data-parallel training: the number of processes, and the share of each step rank 0 spends averaging gradients with the others</source>
        <translation>数据并行训练：进程数，以及 rank 0 每步中与其他进程平均梯度所占的比例</translation>
    </message>
    <message>
        <source>Per rank</source>
        <translation>各 rank</translation>
    </message>
    <message>
        <source>Images/s of each process over its previous step: a slow rank holds back every other one at the all-reduce</source>
        <translation>每个进程上一步的图像/秒：慢的 rank 会在 all-reduce 处拖住其他所有进程</translation>
    </message>
    <message>
        <source>%1 · all-reduce %2% of each step</source>
        <translation>%1 · all-reduce 占每步的 %2%</translation>
    </message>
    <message>
        <source>rank %1 %2 img/s</source>
        <translation>rank %1 %2 张/秒</translation>
    </message>
    <message>
        <source>Watched run</source>
        <translation>观察中的运行</translation>
    </message>
    <message>
        <source>Process</source>
        <translation>进程</translation>
    </message>
    <message>
        <source>Its CPU</source>
        <translation>其 CPU</translation>
    </message>
    <message>
        <source>Its memory</source>
        <translation>其内存</translation>
    </message>
    <message>
        <source>Its GPU memory</source>
        <translation>其显存</translation>
    </message>
    <message>
        <source>Process %1 is no longer running and the run never wrote its end: it crashed or was killed. Resume it from last.pt in the Checkpoints tab.</source>
        <translation>进程 %1 已不再运行，且该运行没有写入结束记录：它崩溃了或被终止了。请在“检查点”标签页中从 last.pt 恢复。</translation>
    </message>
    <message>
        <source>pid %1 on %2</source>
        <translation>%2 上的 pid %1</translation>
    </message>
    <message>
        <source>not recorded (a run written before YoloDeck recorded it)</source>
        <translation>未记录（该运行写于 YoloDeck 记录此信息之前）</translation>
    </message>
    <message>
        <source> (this machine; no longer running)</source>
        <translation>（本机；已不再运行）</translation>
    </message>
    <message>
        <source> (this machine)</source>
        <translation>（本机）</translation>
    </message>
    <message>
        <source> (another machine: this machine&apos;s GPU and system figures are hidden)</source>
        <translation>（另一台机器：已隐藏本机的 GPU 和系统数据）</translation>
    </message>
    <message>
        <source>%1% (100% = one core; %2 cores)</source>
        <translation>%1%（100% = 一个核心；共 %2 个核心）</translation>
    </message>
    <message>
        <source>%1 GiB</source>
        <translation>%1 GiB</translation>
    </message>
    <message>
        <source>%1 GiB on %2, %3% busy</source>
        <translation>%2 上 %1 GiB，繁忙 %3%</translation>
    </message>
    <message>
        <source>%1 GiB on %2</source>
        <translation>%2 上 %1 GiB</translation>
    </message>
</context>
<context>
    <name>yolodeck::SystemReportDialog</name>
    <message>
        <source>System Report</source>
        <translation>系统报告</translation>
    </message>
    <message>
        <source>Measuring… (matrix products, disk and data, a few seconds)</source>
        <translation>正在测量…（矩阵乘法、磁盘和数据，需要几秒钟）</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>No problems found.</source>
        <translation>未发现问题。</translation>
    </message>
    <message numerus="yes">
        <source>%n finding(s) that can slow training:</source>
        <translation>
            <numerusform>%n 项可能拖慢训练的问题：</numerusform>
        </translation>
    </message>
    <message>
        <source>Fix: %1</source>
        <translation>解决方法：%1</translation>
    </message>
</context>
<context>
    <name>yolodeck::TrainingWorker</name>
    <message>
        <source>the run&apos;s own data.yaml cannot be used here; the Dataset field&apos;s %1 takes its place</source>
        <translation>无法使用该训练自己的 data.yaml；改用“数据集”字段中的 %1</translation>
    </message>
    <message>
        <source>Training stopped by an internal error: %1</source>
        <translation>训练因内部错误停止：%1</translation>
    </message>
    <message>
        <source>Training stopped by an unknown internal error.</source>
        <translation>训练因未知内部错误停止。</translation>
    </message>
    <message>
        <source>Writing the demo dataset to %1…</source>
        <translation>正在将演示数据集写入 %1…</translation>
    </message>
</context>
</TS>
