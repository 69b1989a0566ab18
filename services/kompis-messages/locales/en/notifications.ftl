# Notifications to participants, in English.
# Each template: the value is the title (at most 100 characters), `.body` the text
# (at most 500). Variables are never personal data.

## Dates and times (Stockholm local time).
datetime = { $weekday } { $day } { $month } { $year } at { $time }
weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## Activities.
invitation-received = Invitation: { $title }
    .body = You are invited to { $title }, { $start }, { $place }. Answer in the app.
activity-updated = Changed: { $title }
    .body = { $title } has changed. It now starts { $start }, { $place }.
activity-cancelled = Cancelled: { $title }
    .body = { $title }, { $start }, is cancelled. { $reason }
activity-reminder = Reminder: { $title }
    .body = { $title } starts { $start }, { $place }. Welcome!
seat-given = You have a seat: { $title }
    .body = A seat became free and it is yours: { $title }, { $start }, { $place }.
pair-signed-up = Your buddy signed you both up: { $title }
    .body = Your buddy signed the two of you up for { $title }, { $start }, { $place }. See in the app whether you have seats or are waiting together.
pair-cancelled = Your buddy cancelled: { $title }
    .body = Your buddy cancelled the answer for the two of you to { $title }, { $start }. You can sign up again in the app.

## Buddies.
buddy-proposed = We have found a buddy for you
    .body = Have a look in the app and answer by { $deadline }.
match-accepted = You have both said yes
    .body = You can now see each other's contact details in the app.
match-ended = Your match has ended
    .body = The match with your buddy has ended. Contact your coordinator if you have questions.
check-in-requested = How is it going?
    .body = Tell us whether you have met. Answer in the app.
match-concluded = Your buddy period is over
    .body = Thank you for taking part! Tell us in the app whether you met and how it went.

## The application.
application-updated = Your application was updated
    .body = Open the app to see where your application stands.
interview-updated = Your intake interview
    .body = Your intake interview is on { $start }. See the details in the app.
retention-warning = Your application has been inactive for a long time
    .body = Open the app if you still want a buddy; otherwise your application and your data will soon be erased.

## E-mail.
email-footer = You receive this e-mail because you chose e-mail in the { $app } app. You can change that in the app.
