# language: ja
@seed-000
機能: 操作11・操作12 タスクのインポート
  配信アプリケーション・連携アプリケーションのインストール先の tools フォルダにあるタスクの XML を、
  タスクスケジューラの「タスクのインポート」で取り込みます。ユーザーまたはグループの変更で OqsComApp を
  指定し（名前の確認）、OqsComApp のパスワードを入力します。

  背景:
    前提 資格確認端末「OQS-PC01」がある
    かつ セットアップツールで操作1〜12をサイトのプロファイルどおりに適用した

  @op-11
  シナリオ: 配信アプリケーションのタスクを OqsComApp でインポートすると、ログオンにかかわらず実行される
    前提 タスクスケジューラからタスク「OQS_exec_distroappstart」を削除した
    かつ 監査の「タスク OQS_exec_distroappstart」は✗である
    # m: 000-op11-02-04 000-op11-02-06 000-op11-02-08 000-op11-02-09 000-op11-02-11
    もし タスクスケジューラで「C:\Program Files\OQS\OQSDistroApp\tools\OQS_exec_distroappstart.xml」をインポートし、ユーザー「OqsComApp」とパスワード「（OqsComAppのパスワード）」を指定する
    ならば 「タスク「OQS_exec_distroappstart」を登録しました」と表示される
    かつ タスク「OQS_exec_distroappstart」が「OqsComApp」で、ログオンしているかどうかにかかわらず実行するように登録されている
    かつ タスク「OQS_exec_distroappstart」はスタートアップの60秒後に開始し、60分ごとに繰り返す
    かつ タスク「OQS_exec_distroappstart」はバッテリー駆動時には開始しない
    かつ 監査の項目はすべて✓である

  @op-11
  シナリオテンプレート: こんなときは — <間違い>とタスクは登録されず、理由が表示される
    前提 タスクスケジューラからタスク「OQS_exec_distroappstart」を削除した
    # m: 000-op11-02-08 000-op11-02-09 000-op11-02-11
    もし タスクスケジューラで「C:\Program Files\OQS\OQSDistroApp\tools\OQS_exec_distroappstart.xml」をインポートし、ユーザー「<ユーザー>」とパスワード「<パスワード>」を指定する
    ならば 「<表示>」と表示される
    かつ 監査の「タスク OQS_exec_distroappstart」は✗である

    例:
      | 間違い                             | ユーザー  | パスワード               | 表示                                           |
      | ユーザー名の大文字・小文字を違える | oqscomapp | （OqsComAppのパスワード） | 名前 "oqscomapp" が見つかりませんでした        |
      | パスワードを間違える               | OqsComApp | Wrong#Pass2025           | ログオン失敗: ユーザー名を認識できないか       |

  @op-12 @C
  シナリオ: 連携アプリケーションの3つのタスクをインポートする
    前提 タスクスケジューラからタスク「OQS_exec_comappdelfile_running」を削除した
    # m: 000-op12-09-task-04 000-op12-09-task-08 000-op12-09-task-11 000-op12-09-task-12
    もし タスクスケジューラで「C:\Program Files\OQS\OQSComApp\tools\OQS_exec_comappdelfile_running.xml」をインポートし、ユーザー「OqsComApp」とパスワード「（OqsComAppのパスワード）」を指定する
    ならば タスク「OQS_exec_comappdelfile_running」が「OqsComApp」で、ログオンしているかどうかにかかわらず実行するように登録されている
    かつ タスク「OQS_exec_comappdelfile_running」はスタートアップの30秒後に開始する
    かつ 監査の項目はすべて✓である

  @op-12 @C
  シナリオ: tools フォルダにない XML はインポートできない
    # m: 000-op12-09-task-05
    もし タスクスケジューラで「C:\Program Files\OQS\OQSComApp\OQS_exec_comappstart.xml」をインポートし、ユーザー「OqsComApp」とパスワード「（OqsComAppのパスワード）」を指定する
    ならば 「tools フォルダを確認してください」と表示される
