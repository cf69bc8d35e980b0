# language: ja
@seed-003 @C
機能: 運用上の注意 変更するとトラブルが生じるアカウント（連携アカウント）
  連携アカウントのID・パスワードを変更すると、レセプト等システムと連携できなくなり、
  保険証等の資格確認ができなくなります。

  背景:
    前提 オンライン資格確認等システムが稼働している
    かつ 資格確認端末「RECEPTION-01」がある
    かつ 医療機関コード「1312345678」の電子証明書がインストールされている
    かつ 連携アプリケーション用アカウント「R0RENK01」が登録されている
    かつ 資格情報マネージャーに次の汎用資格情報を登録する:
      | インターネットまたはネットワークのアドレス | ユーザー名 | パスワード               |
      | OQS_LOGIN_KEY                              | R0RENK01   | （R0RENK01のパスワード） |
      | OQS_MEDICAL_INSTITUTION_CODE               | OQS_Admin  | 1312345678               |
    かつ 連携アプリケーションを起動する
    かつ レセコンが資格有効性「有効」となる人の資格確認の要求ファイル「OQSsiquc01req_BEFORE.xml」をUTF-8で要求フォルダに置く
    かつ 結果ファイル「OQSsiquc01res_BEFORE.xml」が作られるまで待つ

  @his
  シナリオ: 連携アカウントのパスワードを変更すると、レセコンからの資格確認ができなくなる
    # m: 003-acct-01
    もし 連携アプリケーション用アカウント「R0RENK01」のパスワードを「Renkei#Changed2025」に変更する
    かつ レセコンが資格有効性「有効」となる人の資格確認の要求ファイル「OQSsiquc01req_AFTER.xml」をUTF-8で要求フォルダに置く
    ならば 結果フォルダに結果ファイル「OQSsiquc01res_AFTER.xml」が作られる
    かつ 結果のSegmentOfResultは「9」である
    # m: 003-acct-b3
    かつ 結果のErrorCodeは「EOQS1303」である
    かつ 結果のエラーメッセージに「OQS_LOGIN_KEY のユーザー名・パスワードを確認してください」と含まれる

  @his
  シナリオ: 変更してしまったら、OQS_LOGIN_KEY を新しいパスワードにして OQSComAppRestart を実行すると直る
    もし 連携アプリケーション用アカウント「R0RENK01」のパスワードを「Renkei#Changed2025」に変更する
    かつ 資格情報マネージャーの汎用資格情報「OQS_LOGIN_KEY」のパスワードを「Renkei#Changed2025」に変更する
    かつ OQSComAppRestart を実行する
    かつ レセコンが資格有効性「有効」となる人の資格確認の要求ファイル「OQSsiquc01req_FIXED.xml」をUTF-8で要求フォルダに置く
    ならば 結果フォルダに結果ファイル「OQSsiquc01res_FIXED.xml」が作られる
    かつ 結果のSegmentOfResultは「1」である
