# language: ja
@seed-000 @op-5 @op-12 @C
機能: 操作5 フォルダー格納時に暗号化する（要求データファイルの復号、結果データファイルの暗号化）
  encrypt.conf で要求種別ごとに暗号化する（e）かしない（n）かを設定します。暗号化する種別の要求は
  <要求ファイル名>.zip（中身は <要求ファイル名>.xml、AES-256、パスワードは OQS_CRYPT_PASS）で置かれ、
  結果も同じ形式で返ります。設定の変更は OQSComAppRestart の後に有効になります。

  背景:
    前提 オンライン資格確認等システムが稼働している
    かつ 資格確認端末「RECEPTION-01」がある
    かつ 医療機関コード「1312345678」の電子証明書がインストールされている
    かつ 連携アプリケーション用アカウント「R0RENK01」が登録されている
    かつ 資格情報マネージャーに次の汎用資格情報を登録する:
      | インターネットまたはネットワークのアドレス | ユーザー名 | パスワード               |
      | OQS_LOGIN_KEY                              | R0RENK01   | （R0RENK01のパスワード） |
      | OQS_MEDICAL_INSTITUTION_CODE               | OQS_Admin  | 1312345678               |
      | OQS_CRYPT_PASS                             | OQS_Admin  | Crypt2025                |
    # m: 000-op5-b6
    かつ 設定ファイル「encrypt.conf」に「OQSsiquc01=e」と書く
    かつ 設定ファイル「encrypt.conf」に「OQSsiimm01=n」と書く
    かつ 連携アプリケーションを起動する

  シナリオ: 暗号化する種別は暗号化ZIPで受け取り、暗号化ZIPで結果を返す
    もし レセコンが資格確認の要求ファイル「OQSsiquc01req_ENC.zip」をパスワード「Crypt2025」の暗号化ZIPにして要求フォルダに置く
    ならば 結果フォルダに結果ファイル「OQSsiquc01res_ENC.zip」が作られる
    かつ 結果ファイルはパスワード「Crypt2025」のAES-256暗号化ZIPで、中には「OQSsiquc01res_ENC.xml」だけがある
    かつ 結果のSegmentOfResultは「1」である
    かつ 結果のQualificationValidityは「1」である

  @his
  シナリオ: レセコンは暗号化ZIPの結果を OQS_CRYPT_PASS で復号して読み取り、取り出す
    もし レセコンが資格確認の要求ファイル「OQSsiquc01req_TAKEZ.zip」をパスワード「Crypt2025」の暗号化ZIPにして要求フォルダに置く
    かつ レセコンが結果ファイル「OQSsiquc01res_TAKEZ.zip」を取り出す
    ならば レセコンが読み取った結果は SegmentOfResult「1」、QualificationValidity「1」である
    かつ レセコンが読み取った氏名は、要求した人の氏名と一字も違わない

  シナリオ: 暗号化しない種別と暗号化する種別が並んでも、それぞれの形式で返す
    もし レセコンが資格確認の要求ファイル「OQSsiquc01req_E1.zip」をパスワード「Crypt2025」の暗号化ZIPにして要求フォルダに置く
    かつ レセコンが要求フォルダに「OQSsiimm01req_P1.zip」というファイルを置く
    ならば 結果フォルダに結果ファイル「OQSsiquc01res_E1.zip」が作られる
    かつ 結果のSegmentOfResultは「1」である
    かつ 結果フォルダに結果ファイル「OQSsiimm01res_P1.xml」が作られる
    かつ 結果のErrorCodeは「EOQS1105」である
    かつ 結果のエラーメッセージに「暗号化しない設定です」と含まれる

  @his
  シナリオ: 暗号化する種別の要求が暗号化されていないと、平文でエラーの結果を返す
    もし レセコンが資格有効性「有効」となる人の資格確認の要求ファイル「OQSsiquc01req_PLAIN.xml」をUTF-8で要求フォルダに置く
    ならば 結果フォルダに結果ファイル「OQSsiquc01res_PLAIN.xml」が作られる
    かつ 結果のSegmentOfResultは「9」である
    かつ 結果のErrorCodeは「EOQS1101」である
    かつ 要求フォルダは空である

  シナリオ: レセコンの暗号化パスワードが OQS_CRYPT_PASS と違うと、平文でエラーの結果を返す
    もし レセコンが資格確認の要求ファイル「OQSsiquc01req_PW.zip」をパスワード「Other2025」の暗号化ZIPにして要求フォルダに置く
    ならば 結果フォルダに結果ファイル「OQSsiquc01res_PW.xml」が作られる
    かつ 結果のErrorCodeは「EOQS1102」である
    かつ 結果のエラーメッセージに「パスワードが違います」と含まれる

  シナリオ: 途中で切れた暗号化ZIPには、壊れていることを示すエラーの結果を返す
    もし レセコンが途中で切れた暗号化ZIP「OQSsiquc01req_CUT.zip」を要求フォルダに置く
    ならば 結果フォルダに結果ファイル「OQSsiquc01res_CUT.xml」が作られる
    かつ 結果のErrorCodeは「EOQS1103」である
    かつ 結果のエラーメッセージに「壊れています」と含まれる
