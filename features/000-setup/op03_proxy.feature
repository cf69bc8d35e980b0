# language: ja
@seed-000 @op-3
機能: 操作3 Windowsの設定を変更する — プロキシと WinHTTP
  配信拠点起点の構成では、手動プロキシ セットアップでアドレス proxy.base.oqs-pdl.org、ポート 8080 と
  プロキシを使わないアドレス（セミコロン区切り）を入力し、管理者のコマンドプロンプトで
  netsh winhttp import proxy source=ie を実行して WinHTTP に取り込みます。

  背景:
    前提 資格確認端末「OQS-PC01」がある
    かつ セットアップツールで操作1〜12をサイトのプロファイルどおりに適用した

  シナリオ: プロキシを入力して netsh で取り込むと、show proxy に手順書と同じ設定が表示される
    # m: 000-op3-b1 000-op3-proxy-04 000-op3-proxy-05 000-op3-proxy-06
    もし 手動プロキシ セットアップで次のとおり入力して保存する:
      | アドレス | proxy.base.oqs-pdl.org |
      | ポート   | 8080                   |
      | 例外     | *.onshikaku.org;*.flets-east.jp;*.flets-west.jp;*.lineauth.mnw;*.obn.managedpki.ne.jp;*.cybertrust.ne.jp;*.secomtrust.net;*.rece;pweb.base.oqs-pdl.org |
    # m: 000-op3-proxy-08
    かつ 管理者のコマンドプロンプトで「netsh winhttp import proxy source=ie」を実行する
    # m: 000-op3-proxy-09
    ならば 「現在の WinHTTP プロキシ設定」と表示される
    かつ 「プロキシ サーバー : http://proxy.base.oqs-pdl.org:8080」と表示される（空白の幅は問わない）
    かつ 「バイパス一覧 : *.onshikaku.org;*.flets-east.jp;」と表示される（空白の幅は問わない）
    # m: 000-op3-proxy-10
    もし 管理者のコマンドプロンプトで「netsh winhttp show proxy」を実行する
    # m: 000-op3-proxy-11
    ならば 「プロキシ サーバー : http://proxy.base.oqs-pdl.org:8080」と表示される（空白の幅は問わない）
    かつ 監査の「WinHTTP プロキシ」は✓である
    # m: 000-check-07
    かつ 監査の項目はすべて✓である

  シナリオ: netsh winhttp import を忘れると WinHTTP は直接アクセスのままで、監査がその1行だけを✗にする
    前提 資格確認端末「OQS-PC02」がある
    かつ セットアップツールで操作1〜12をサイトのプロファイルどおりに適用した
    かつ 管理者のコマンドプロンプトで「netsh winhttp show proxy」を実行した
    # m: 000-op3-b4
    もし 手動プロキシ セットアップで次のとおり入力して保存する:
      | アドレス | proxy.base.oqs-pdl.org |
      | ポート   | 8080                   |
      | 例外     | *.onshikaku.org;*.flets-east.jp;*.flets-west.jp;*.lineauth.mnw;*.obn.managedpki.ne.jp;*.cybertrust.ne.jp;*.secomtrust.net;*.rece;pweb.base.oqs-pdl.org;*.example.jp |
    ならば 監査で✗になるのは「WinHTTP プロキシ」だけである
    もし 端末を監査する
    ならば 「netsh winhttp import proxy source=ie を実行してください」と表示される
    # m: 000-op3-proxy-08
    もし 管理者のコマンドプロンプトで「netsh winhttp import proxy source=ie」を実行する
    # m: 000-check-07
    ならば 監査の項目はすべて✓である

  シナリオ: こんなときは — 区切り文字（;）を入れ忘れると、例外の行が✗になり入れ直すと✓になる
    # m: 000-op3-proxy-05
    もし 手動プロキシ セットアップで次のとおり入力して保存する:
      | アドレス | proxy.base.oqs-pdl.org |
      | ポート   | 8080                   |
      | 例外     | *.onshikaku.org;*.flets-east.jp*.flets-west.jp;*.lineauth.mnw;*.obn.managedpki.ne.jp;*.cybertrust.ne.jp;*.secomtrust.net;*.rece;pweb.base.oqs-pdl.org |
    かつ 管理者のコマンドプロンプトで「netsh winhttp import proxy source=ie」を実行する
    ならば 監査で✗になるのは「プロキシの例外（バイパス一覧）」だけである
    もし 端末を監査する
    ならば 「セミコロン（;）で区切ってください」と表示される
    # m: 000-op3-b4
    もし 手動プロキシ セットアップで次のとおり入力して保存する:
      | アドレス | proxy.base.oqs-pdl.org |
      | ポート   | 8080                   |
      | 例外     | *.onshikaku.org;*.flets-east.jp;*.flets-west.jp;*.lineauth.mnw;*.obn.managedpki.ne.jp;*.cybertrust.ne.jp;*.secomtrust.net;*.rece;pweb.base.oqs-pdl.org |
    かつ 管理者のコマンドプロンプトで「netsh winhttp import proxy source=ie」を実行する
    ならば 監査の項目はすべて✓である

  シナリオ: 例外のアドレスが1つ足りないと、足りないアドレスを示す
    # m: 000-op3-proxy-05
    もし 手動プロキシ セットアップで次のとおり入力して保存する:
      | アドレス | proxy.base.oqs-pdl.org |
      | ポート   | 8080                   |
      | 例外     | *.onshikaku.org;*.flets-east.jp;*.flets-west.jp;*.obn.managedpki.ne.jp;*.cybertrust.ne.jp;*.secomtrust.net;*.rece;pweb.base.oqs-pdl.org |
    かつ 管理者のコマンドプロンプトで「netsh winhttp import proxy source=ie」を実行する
    ならば 監査の「プロキシの例外（バイパス一覧）」は✗である
    もし 端末を監査する
    ならば 「*.lineauth.mnw がありません」と表示される
