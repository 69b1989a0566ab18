# Notifications to participants, in Swedish (the fallback language).
# Each template: the value is the title (at most 100 characters), `.body` the text
# (at most 500). Variables are never personal data.

## Dates and times (Stockholm local time).
datetime = { $weekday } { $day } { $month } { $year } kl. { $time }
weekday-1 = måndag
weekday-2 = tisdag
weekday-3 = onsdag
weekday-4 = torsdag
weekday-5 = fredag
weekday-6 = lördag
weekday-7 = söndag
month-1 = januari
month-2 = februari
month-3 = mars
month-4 = april
month-5 = maj
month-6 = juni
month-7 = juli
month-8 = augusti
month-9 = september
month-10 = oktober
month-11 = november
month-12 = december

## Activities.
invitation-received = Inbjudan: { $title }
    .body = Du är inbjuden till { $title }, { $start }, { $place }. Svara i appen.
activity-updated = Ändrat: { $title }
    .body = { $title } har ändrats. Det börjar nu { $start }, { $place }.
activity-cancelled = Inställt: { $title }
    .body = { $title }, { $start }, ställs in. { $reason }
activity-reminder = Påminnelse: { $title }
    .body = { $title } börjar { $start }, { $place }. Välkommen!
seat-given = Du har fått en plats: { $title }
    .body = En plats blev ledig och den är din: { $title }, { $start }, { $place }.
pair-signed-up = Din kompis har anmält er båda: { $title }
    .body = Din kompis har anmält er två till { $title }, { $start }, { $place }. Se i appen om ni har platser eller väntar tillsammans.
pair-cancelled = Din kompis har avanmält er: { $title }
    .body = Din kompis har avanmält er två från { $title }, { $start }. Du kan anmäla dig igen i appen.

## Buddies.
buddy-proposed = Vi har hittat en kompis till dig
    .body = Titta i appen och svara senast { $deadline }.
match-accepted = Ni har båda tackat ja
    .body = Nu kan ni se varandras kontaktuppgifter i appen.
match-ended = Matchningen är avslutad
    .body = Matchningen med din kompis är avslutad. Hör av dig till din samordnare om du har frågor.
check-in-requested = Hur går det?
    .body = Berätta för oss om ni har träffats. Svara i appen.
match-concluded = Er kompisperiod är slut
    .body = Tack för att du var med! Berätta i appen om ni träffades och hur det gick.

## The application.
application-updated = Din ansökan har uppdaterats
    .body = Öppna appen och se var din ansökan står.
interview-updated = Ditt intervjusamtal
    .body = Ditt intervjusamtal är { $start }. Se detaljerna i appen.
retention-warning = Din ansökan har varit inaktiv länge
    .body = Öppna appen om du fortfarande vill ha en kompis; annars raderas snart din ansökan och dina uppgifter.

## E-mail.
email-footer = Du får det här e-postmeddelandet för att du har valt e-post i { $app }-appen. Du kan ändra det i appen.
