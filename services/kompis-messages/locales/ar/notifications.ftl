# Notifications to participants, in Arabic (written right to left).
# Each template: the value is the title (at most 100 characters), `.body` the text
# (at most 500). Variables are never personal data. Every variable is wrapped in
# Unicode isolation marks when formatted, so Latin titles and dates keep their
# direction inside Arabic text; Latin words in the text itself are variables for the
# same reason ({ $app }).

## Dates and times (Stockholm local time).
datetime = { $weekday } { $day } { $month } { $year }، الساعة { $time }
weekday-1 = الاثنين
weekday-2 = الثلاثاء
weekday-3 = الأربعاء
weekday-4 = الخميس
weekday-5 = الجمعة
weekday-6 = السبت
weekday-7 = الأحد
month-1 = يناير
month-2 = فبراير
month-3 = مارس
month-4 = أبريل
month-5 = مايو
month-6 = يونيو
month-7 = يوليو
month-8 = أغسطس
month-9 = سبتمبر
month-10 = أكتوبر
month-11 = نوفمبر
month-12 = ديسمبر

## Activities.
invitation-received = دعوة: { $title }
    .body = أنت مدعو إلى { $title }، { $start }، المكان: { $place }. أجب في التطبيق.
activity-updated = تغيير: { $title }
    .body = تم تغيير { $title }. يبدأ الآن { $start }، المكان: { $place }.
activity-cancelled = إلغاء: { $title }
    .body = تم إلغاء { $title }، { $start }. { $reason }
activity-reminder = تذكير: { $title }
    .body = يبدأ { $title } { $start }، المكان: { $place }. أهلاً وسهلاً!
seat-given = حصلت على مكان: { $title }
    .body = أصبح هناك مكان شاغر وهو لك: { $title }، { $start }، المكان: { $place }.
pair-signed-up = سجّلكما صديقك معًا: { $title }
    .body = سجّلكما صديقك معًا في { $title }، { $start }، المكان: { $place }. انظر في التطبيق إن كان لكما مكانان أو أنكما تنتظران معًا.
pair-cancelled = ألغى صديقك التسجيل: { $title }
    .body = ألغى صديقك تسجيلكما معًا في { $title }، { $start }. يمكنك التسجيل مرة أخرى في التطبيق.

## Buddies.
buddy-proposed = وجدنا لك صديقًا
    .body = افتح التطبيق وأجب قبل { $deadline }.
match-accepted = وافق كلاكما
    .body = يمكنكما الآن رؤية معلومات الاتصال الخاصة ببعضكما في التطبيق.
match-ended = انتهت المطابقة
    .body = انتهت المطابقة مع صديقك. تواصل مع المنسق إذا كانت لديك أسئلة.
check-in-requested = كيف تسير الأمور؟
    .body = أخبرنا إذا كنتما قد التقيتما. أجب في التطبيق.
match-concluded = انتهت فترة الصداقة
    .body = شكرًا لمشاركتك! أخبرنا في التطبيق إذا كنتما قد التقيتما وكيف سارت الأمور.

## The application.
application-updated = تم تحديث طلبك
    .body = افتح التطبيق لترى حالة طلبك.
interview-updated = مقابلة التسجيل الخاصة بك
    .body = موعد مقابلتك { $start }. اطّلع على التفاصيل في التطبيق.
retention-warning = طلبك غير نشط منذ مدة طويلة
    .body = افتح التطبيق إذا كنت لا تزال تريد رفيقًا؛ وإلا فسيتم قريبًا حذف طلبك وبياناتك.

## E-mail.
email-footer = تصلك هذه الرسالة لأنك اخترت البريد الإلكتروني في تطبيق { $app }. يمكنك تغيير ذلك في التطبيق.
