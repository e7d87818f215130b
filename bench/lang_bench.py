"""Language detectors compared on speed and accuracy, offline: langdetect, py3langid, lingua.

Run with the candidates importable (``python bench/lang_bench.py``); a candidate that is not
installed is skipped. Prints a Markdown table: import + model load (CPU seconds, in a fresh
process), CPU per text (median of 3 passes over the whole sample, after warm-up), accuracy on
hand-written sentences and on Faker word lists.

The samples are small and made here, so read the accuracy as a sanity check, not a
benchmark of record: 10 languages x 12 sentences written for this file (short and
medium, everyday register), and 8 languages x 40 Faker lorem sentences built from real
words of the locale's language (word salads, not grammar; Faker's pt_PT lorem is Latin and
is left out).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

SENTENCES: dict[str, list[str]] = {
    "en": [
        "The train was late again this morning.",
        "Could you send me the invoice for last month?",
        "We moved the meeting to Thursday afternoon because half the team is away.",
        "My order arrived broken and nobody answers the phone.",
        "Thanks, that fixed it.",
        "The app crashes every time I try to open the settings page.",
        "Please cancel my subscription at the end of the billing period.",
        "She has lived in the same small village for almost forty years.",
        "Where is the nearest pharmacy?",
        "The weather forecast promises rain for the whole weekend.",
        "I would like to change the delivery address on my account.",
        "Our new office is on the third floor, next to the lifts.",
    ],
    "de": [
        "Der Zug hatte heute Morgen wieder Verspätung.",
        "Können Sie mir die Rechnung für den letzten Monat schicken?",
        "Wir haben das Treffen auf Donnerstagnachmittag verschoben, weil das halbe Team im Urlaub ist.",
        "Meine Bestellung kam kaputt an und niemand geht ans Telefon.",
        "Danke, das hat geholfen.",
        "Die App stürzt jedes Mal ab, wenn ich die Einstellungen öffne.",
        "Bitte kündigen Sie mein Abonnement zum Ende des Abrechnungszeitraums.",
        "Sie wohnt seit fast vierzig Jahren in demselben kleinen Dorf.",
        "Wo ist die nächste Apotheke?",
        "Der Wetterbericht sagt für das ganze Wochenende Regen voraus.",
        "Ich möchte die Lieferadresse in meinem Konto ändern.",
        "Unser neues Büro liegt im dritten Stock, gleich neben den Aufzügen.",
    ],
    "fr": [
        "Le train était encore en retard ce matin.",
        "Pourriez-vous m'envoyer la facture du mois dernier ?",
        "Nous avons déplacé la réunion à jeudi après-midi parce que la moitié de l'équipe est absente.",
        "Ma commande est arrivée cassée et personne ne répond au téléphone.",
        "Merci, ça a marché.",
        "L'application plante chaque fois que j'ouvre la page des réglages.",
        "Veuillez résilier mon abonnement à la fin de la période de facturation.",
        "Elle habite le même petit village depuis presque quarante ans.",
        "Où se trouve la pharmacie la plus proche ?",
        "La météo annonce de la pluie pour tout le week-end.",
        "Je voudrais changer l'adresse de livraison de mon compte.",
        "Notre nouveau bureau est au troisième étage, à côté des ascenseurs.",
    ],
    "es": [
        "El tren volvió a llegar tarde esta mañana.",
        "¿Podría enviarme la factura del mes pasado?",
        "Hemos pasado la reunión al jueves por la tarde porque la mitad del equipo está fuera.",
        "Mi pedido llegó roto y nadie contesta el teléfono.",
        "Gracias, ya funciona.",
        "La aplicación se cierra cada vez que abro la página de ajustes.",
        "Por favor, cancelen mi suscripción al final del periodo de facturación.",
        "Ella vive en el mismo pueblo pequeño desde hace casi cuarenta años.",
        "¿Dónde está la farmacia más cercana?",
        "El pronóstico del tiempo anuncia lluvia para todo el fin de semana.",
        "Me gustaría cambiar la dirección de entrega de mi cuenta.",
        "Nuestra nueva oficina está en la tercera planta, junto a los ascensores.",
    ],
    "it": [
        "Il treno era di nuovo in ritardo stamattina.",
        "Potrebbe mandarmi la fattura del mese scorso?",
        "Abbiamo spostato la riunione a giovedì pomeriggio perché metà della squadra è in ferie.",
        "Il mio ordine è arrivato rotto e nessuno risponde al telefono.",
        "Grazie, adesso funziona.",
        "L'applicazione si blocca ogni volta che apro la pagina delle impostazioni.",
        "Vi prego di disdire il mio abbonamento alla fine del periodo di fatturazione.",
        "Lei abita nello stesso piccolo paese da quasi quarant'anni.",
        "Dov'è la farmacia più vicina?",
        "Le previsioni del tempo danno pioggia per tutto il fine settimana.",
        "Vorrei cambiare l'indirizzo di consegna del mio account.",
        "Il nostro nuovo ufficio è al terzo piano, accanto agli ascensori.",
    ],
    "pt": [
        "O comboio voltou a atrasar esta manhã.",
        "Pode enviar-me a fatura do mês passado?",
        "Mudámos a reunião para quinta-feira à tarde porque metade da equipa está fora.",
        "A minha encomenda chegou partida e ninguém atende o telefone.",
        "Obrigado, já funciona.",
        "A aplicação fecha sempre que abro a página das definições.",
        "Por favor, cancelem a minha assinatura no fim do período de faturação.",
        "Ela mora na mesma aldeia pequena há quase quarenta anos.",
        "Onde fica a farmácia mais próxima?",
        "A previsão do tempo anuncia chuva para o fim de semana inteiro.",
        "Gostaria de alterar a morada de entrega da minha conta.",
        "O nosso novo escritório fica no terceiro andar, ao lado dos elevadores.",
    ],
    "nl": [
        "De trein had vanochtend weer vertraging.",
        "Kunt u mij de factuur van vorige maand sturen?",
        "We hebben de vergadering naar donderdagmiddag verzet omdat het halve team weg is.",
        "Mijn bestelling kwam kapot aan en niemand neemt de telefoon op.",
        "Bedankt, het werkt weer.",
        "De app crasht elke keer als ik de instellingen open.",
        "Zeg alstublieft mijn abonnement op aan het einde van de factuurperiode.",
        "Ze woont al bijna veertig jaar in hetzelfde kleine dorp.",
        "Waar is de dichtstbijzijnde apotheek?",
        "De weersverwachting belooft het hele weekend regen.",
        "Ik wil het bezorgadres van mijn account wijzigen.",
        "Ons nieuwe kantoor is op de derde verdieping, naast de liften.",
    ],
    "sv": [
        "Tåget var försenat igen i morse.",
        "Kan du skicka fakturan för förra månaden?",
        "Vi flyttade mötet till torsdag eftermiddag eftersom halva teamet är borta.",
        "Min beställning kom trasig och ingen svarar i telefon.",
        "Tack, nu fungerar det.",
        "Appen kraschar varje gång jag öppnar inställningarna.",
        "Avsluta mitt abonnemang vid slutet av faktureringsperioden, tack.",
        "Hon har bott i samma lilla by i nästan fyrtio år.",
        "Var ligger närmaste apotek?",
        "Väderprognosen lovar regn hela helgen.",
        "Jag vill ändra leveransadressen på mitt konto.",
        "Vårt nya kontor ligger på tredje våningen, bredvid hissarna.",
    ],
    "pl": [
        "Pociąg znowu się dziś rano spóźnił.",
        "Czy może mi pan przesłać fakturę za zeszły miesiąc?",
        "Przenieśliśmy spotkanie na czwartek po południu, bo połowa zespołu jest na urlopie.",
        "Moje zamówienie przyszło zepsute i nikt nie odbiera telefonu.",
        "Dziękuję, już działa.",
        "Aplikacja zawiesza się za każdym razem, gdy otwieram ustawienia.",
        "Proszę anulować moją subskrypcję z końcem okresu rozliczeniowego.",
        "Ona mieszka w tej samej małej wsi od prawie czterdziestu lat.",
        "Gdzie jest najbliższa apteka?",
        "Prognoza pogody zapowiada deszcz na cały weekend.",
        "Chciałbym zmienić adres dostawy na moim koncie.",
        "Nasze nowe biuro jest na trzecim piętrze, obok wind.",
    ],
    "ru": [
        "Поезд сегодня утром снова опоздал.",
        "Не могли бы вы прислать мне счёт за прошлый месяц?",
        "Мы перенесли встречу на четверг после обеда, потому что половина команды в отпуске.",
        "Мой заказ пришёл сломанным, и никто не отвечает на звонки.",
        "Спасибо, всё заработало.",
        "Приложение падает каждый раз, когда я открываю настройки.",
        "Пожалуйста, отмените мою подписку в конце расчётного периода.",
        "Она живёт в одной и той же маленькой деревне почти сорок лет.",
        "Где ближайшая аптека?",
        "Прогноз погоды обещает дождь на все выходные.",
        "Я хотел бы изменить адрес доставки в своём аккаунте.",
        "Наш новый офис находится на третьем этаже, рядом с лифтами.",
    ],
}

FAKER_LOCALES = {"de_DE": "de", "fr_FR": "fr", "it_IT": "it", "nl_NL": "nl", "pl_PL": "pl", "ru_RU": "ru", "es_ES": "es", "cs_CZ": "cs"}


def faker_sample(per_locale: int = 40) -> list[tuple[str, str]]:
    from faker import Faker

    out = []
    for i, (locale, lang) in enumerate(sorted(FAKER_LOCALES.items())):
        fake = Faker(locale)
        fake.seed_instance(100 + i)
        out += [(lang, fake.paragraph(nb_sentences=2)) for _ in range(per_locale)]
    return out


# Each candidate: (setup code run once, returning a callable text -> ISO 639-1 code).
CANDIDATES = {
    "langdetect 1.0.9": """
from langdetect import DetectorFactory, detect
DetectorFactory.seed = 0
detect("warm up")  # loads the profiles
def classify(text):
    return detect(text)
""",
    "py3langid 0.4.0": """
import py3langid
py3langid.classify("warm up")  # loads the model
def classify(text):
    return py3langid.classify(text)[0]
""",
    "lingua 2.1.1 (75 languages, high accuracy)": """
from lingua import LanguageDetectorBuilder
_d = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()
def classify(text):
    found = _d.detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found else "unknown"
""",
    "lingua 2.1.1 (75 languages, low accuracy)": """
from lingua import LanguageDetectorBuilder
_d = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().with_preloaded_language_models().build()
def classify(text):
    found = _d.detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found else "unknown"
""",
}

CHILD = r"""
import json, resource, sys, time, statistics
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
start = cpu()
ns = {}
exec(sys.argv[1], ns)
load = cpu() - start
classify = ns["classify"]
sample = json.loads(sys.stdin.read())
for _, text in sample[:20]:
    classify(text)  # warm-up
passes = []
for _ in range(3):
    t0 = cpu()
    guesses = [classify(text) for _, text in sample]
    passes.append((cpu() - t0) / len(sample))
print(json.dumps({"load": load, "per_text": statistics.median(passes), "guesses": guesses}))
"""


def run(setup: str, sample: list[tuple[str, str]]) -> dict | None:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, setup], input=json.dumps(sample), capture_output=True, text=True
    )
    if proc.returncode:
        print(f"skipped: {proc.stderr.strip().splitlines()[-1]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout)


def accuracy(sample: list[tuple[str, str]], guesses: list[str]) -> float:
    return sum(g == lang for (lang, _), g in zip(sample, guesses, strict=True)) / len(sample)


def main() -> None:
    sentences = [(lang, text) for lang, texts in SENTENCES.items() for text in texts]
    words = faker_sample()
    both = sentences + words
    print(f"{len(sentences)} sentences in {len(SENTENCES)} languages, {len(words)} Faker texts in {len(FAKER_LOCALES)}")
    print("| detector | import + model load (CPU s) | CPU per text (ms) | sentences correct | Faker texts correct | misses on sentences |")
    print("|---|---|---|---|---|---|")
    for name, setup in CANDIDATES.items():
        result = run(setup, both)
        if result is None:
            continue
        guesses = result["guesses"]
        on_sentences = guesses[: len(sentences)]
        misses = [f"{lang}→{g}" for (lang, _), g in zip(sentences, on_sentences, strict=True) if g != lang]
        print(
            f"| {name} | {result['load']:.2f} | {result['per_text'] * 1000:.2f} | "
            f"{accuracy(sentences, on_sentences):.1%} | {accuracy(words, guesses[len(sentences):]):.1%} | "
            f"{', '.join(misses) or '–'} |"
        )


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"({time.time() - started:.0f} s, load average {' '.join(open('/proc/loadavg').read().split()[:3])})")
