"""Ready-made surveys to start from: short, one open question, a follow-up where it helps.

Each template is data: its texts in every language the respondent pages ship (en first,
the original), its questions in order, and show-if rules that point at an earlier
question by its index. `actions.do_create_survey_from_template` turns one into a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from beacon.surveys.models import QuestionKind, ShowIfOp

Texts = dict[str, str]  # language -> text


@dataclass(frozen=True)
class TemplateQuestion:
    kind: str
    text: Texts
    required: bool = False
    # language -> labels, one per choice in the same order; "en" is what is stored.
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (index of an earlier question, operator, value): asked only when that answer meets it.
    show_if: tuple[int, str, str] | None = None


@dataclass(frozen=True)
class SurveyTemplate:
    key: str
    name: str
    description: str
    title: Texts
    intro: Texts
    questions: tuple[TemplateQuestion, ...]


THANKS: Texts = {
    "en": "Thank you — your answer goes straight to the team.",
    "de": "Vielen Dank, Ihre Antwort geht direkt an das Team.",
    "fr": "Merci — votre réponse est transmise directement à l'équipe.",
    "es": "Gracias: su respuesta llega directamente al equipo.",
    "nl": "Dank u wel — uw antwoord gaat direct naar het team.",
}

REASON: Texts = {
    "en": "What is the main reason for your score?",
    "de": "Was ist der wichtigste Grund für Ihre Bewertung?",
    "fr": "Quelle est la principale raison de votre note ?",
    "es": "¿Cuál es el motivo principal de su puntuación?",
    "nl": "Wat is de belangrijkste reden voor uw score?",
}

_NPS = TemplateQuestion(
    QuestionKind.NPS,
    {
        "en": "How likely are you to recommend us to a friend or colleague?",
        "de": "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
        "fr": "Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue ?",
        "es": "¿Qué probabilidad hay de que nos recomiende a un amigo o colega?",
        "nl": "Hoe waarschijnlijk is het dat u ons aanbeveelt aan een vriend of collega?",
    },
    required=True,
)

RELATIONSHIP_NPS = SurveyTemplate(
    key="relationship_nps",
    name="Relationship NPS",
    description="How customers feel about you overall, asked every few months.",
    title={
        "en": "How are we doing?",
        "de": "Wie machen wir uns?",
        "fr": "Comment nous en sortons-nous ?",
        "es": "¿Cómo lo estamos haciendo?",
        "nl": "Hoe doen we het?",
    },
    intro={
        "en": "Two minutes, three questions.",
        "de": "Zwei Minuten, drei Fragen.",
        "fr": "Deux minutes, trois questions.",
        "es": "Dos minutos, tres preguntas.",
        "nl": "Twee minuten, drie vragen.",
    },
    questions=(
        _NPS,
        TemplateQuestion(QuestionKind.TEXT, REASON),
        TemplateQuestion(
            QuestionKind.TEXT,
            {
                "en": "What is the one thing we should fix first?",
                "de": "Was sollten wir als Erstes verbessern?",
                "fr": "Quelle est la première chose que nous devrions corriger ?",
                "es": "¿Qué es lo primero que deberíamos mejorar?",
                "nl": "Wat moeten we als eerste verbeteren?",
            },
            show_if=(0, ShowIfOp.AT_MOST, "6"),
        ),
    ),
)

AFTER_SUPPORT = SurveyTemplate(
    key="after_support",
    name="After support",
    description="Right after a support contact: satisfaction, effort and what to improve.",
    title={
        "en": "How did we help you today?",
        "de": "Wie haben wir Ihnen heute geholfen?",
        "fr": "Comment vous avons-nous aidé aujourd'hui ?",
        "es": "¿Cómo le hemos ayudado hoy?",
        "nl": "Hoe hebben we u vandaag geholpen?",
    },
    intro={"en": "", "de": "", "fr": "", "es": "", "nl": ""},
    questions=(
        TemplateQuestion(
            QuestionKind.CSAT,
            {
                "en": "How satisfied are you with the help you received?",
                "de": "Wie zufrieden sind Sie mit der Hilfe, die Sie erhalten haben?",
                "fr": "Êtes-vous satisfait de l'aide que vous avez reçue ?",
                "es": "¿Qué tan satisfecho está con la ayuda que recibió?",
                "nl": "Hoe tevreden bent u over de hulp die u kreeg?",
            },
            required=True,
        ),
        TemplateQuestion(
            QuestionKind.CES,
            {
                "en": "How easy was it to get your issue resolved?",
                "de": "Wie einfach war es, Ihr Anliegen zu lösen?",
                "fr": "Dans quelle mesure a-t-il été facile de régler votre demande ?",
                "es": "¿Qué tan fácil fue resolver su consulta?",
                "nl": "Hoe gemakkelijk was het om uw vraag opgelost te krijgen?",
            },
        ),
        TemplateQuestion(
            QuestionKind.TEXT,
            {
                "en": "What made it harder than it should have been?",
                "de": "Was hat es schwerer gemacht als nötig?",
                "fr": "Qu'est-ce qui a rendu les choses plus difficiles que nécessaire ?",
                "es": "¿Qué lo hizo más difícil de lo necesario?",
                "nl": "Wat maakte het moeilijker dan nodig?",
            },
            show_if=(1, ShowIfOp.AT_MOST, "4"),
        ),
        TemplateQuestion(
            QuestionKind.TEXT,
            {
                "en": "Anything else you would like to tell us?",
                "de": "Möchten Sie uns sonst noch etwas sagen?",
                "fr": "Souhaitez-vous nous dire autre chose ?",
                "es": "¿Hay algo más que quiera decirnos?",
                "nl": "Wilt u ons nog iets anders vertellen?",
            },
        ),
    ),
)

AFTER_PURCHASE = SurveyTemplate(
    key="after_purchase",
    name="After purchase",
    description="After an order: satisfaction with buying, and what mattered most.",
    title={
        "en": "Thank you for your order",
        "de": "Vielen Dank für Ihre Bestellung",
        "fr": "Merci pour votre commande",
        "es": "Gracias por su pedido",
        "nl": "Bedankt voor uw bestelling",
    },
    intro={"en": "", "de": "", "fr": "", "es": "", "nl": ""},
    questions=(
        TemplateQuestion(
            QuestionKind.CSAT,
            {
                "en": "How satisfied are you with your purchase experience?",
                "de": "Wie zufrieden sind Sie mit Ihrem Einkaufserlebnis?",
                "fr": "Êtes-vous satisfait de votre expérience d'achat ?",
                "es": "¿Qué tan satisfecho está con su experiencia de compra?",
                "nl": "Hoe tevreden bent u over uw aankoopervaring?",
            },
            required=True,
        ),
        TemplateQuestion(
            QuestionKind.SINGLE,
            {
                "en": "What mattered most to you?",
                "de": "Was war Ihnen am wichtigsten?",
                "fr": "Qu'est-ce qui a le plus compté pour vous ?",
                "es": "¿Qué fue lo más importante para usted?",
                "nl": "Wat vond u het belangrijkst?",
            },
            choices={
                "en": ("Price", "Range", "Delivery", "Advice"),
                "de": ("Preis", "Auswahl", "Lieferung", "Beratung"),
                "fr": ("Prix", "Choix", "Livraison", "Conseil"),
                "es": ("Precio", "Variedad", "Entrega", "Asesoramiento"),
                "nl": ("Prijs", "Assortiment", "Levering", "Advies"),
            },
        ),
        TemplateQuestion(
            QuestionKind.TEXT,
            {
                "en": "What could we have done better?",
                "de": "Was hätten wir besser machen können?",
                "fr": "Qu'aurions-nous pu mieux faire ?",
                "es": "¿Qué podríamos haber hecho mejor?",
                "nl": "Wat hadden we beter kunnen doen?",
            },
            show_if=(0, ShowIfOp.AT_MOST, "3"),
        ),
    ),
)

ONBOARDING_CES = SurveyTemplate(
    key="onboarding_ces",
    name="Onboarding effort",
    description="After getting started: how easy it was, and where people got stuck.",
    title={
        "en": "Getting started",
        "de": "Der Einstieg",
        "fr": "Vos débuts",
        "es": "Primeros pasos",
        "nl": "Aan de slag",
    },
    intro={"en": "", "de": "", "fr": "", "es": "", "nl": ""},
    questions=(
        TemplateQuestion(
            QuestionKind.CES,
            {
                "en": "How easy was it to get started?",
                "de": "Wie einfach war der Einstieg?",
                "fr": "Dans quelle mesure a-t-il été facile de démarrer ?",
                "es": "¿Qué tan fácil fue empezar?",
                "nl": "Hoe gemakkelijk was het om te beginnen?",
            },
            required=True,
        ),
        TemplateQuestion(
            QuestionKind.SINGLE,
            {
                "en": "Where did you get stuck?",
                "de": "Wo sind Sie nicht weitergekommen?",
                "fr": "Où avez-vous été bloqué ?",
                "es": "¿Dónde se quedó atascado?",
                "nl": "Waar liep u vast?",
            },
            choices={
                "en": ("Signing up", "Setting up", "Finding my way", "Something else"),
                "de": ("Registrierung", "Einrichtung", "Orientierung", "Etwas anderes"),
                "fr": ("Inscription", "Configuration", "Prise en main", "Autre chose"),
                "es": ("Registro", "Configuración", "Orientarme", "Otra cosa"),
                "nl": ("Aanmelden", "Instellen", "Mijn weg vinden", "Iets anders"),
            },
            show_if=(0, ShowIfOp.AT_MOST, "4"),
        ),
        TemplateQuestion(QuestionKind.TEXT, REASON),
    ),
)

LOST_CUSTOMER = SurveyTemplate(
    key="lost_customer",
    name="Lost customer",
    description="When a customer leaves: why, and what would have kept them.",
    title={
        "en": "Sorry to see you go",
        "de": "Schade, dass Sie gehen",
        "fr": "Nous regrettons votre départ",
        "es": "Lamentamos que se vaya",
        "nl": "Jammer dat u vertrekt",
    },
    intro={
        "en": "Your answer helps us do better for others.",
        "de": "Ihre Antwort hilft uns, es für andere besser zu machen.",
        "fr": "Votre réponse nous aide à faire mieux pour les autres.",
        "es": "Su respuesta nos ayuda a mejorar para otros.",
        "nl": "Uw antwoord helpt ons het beter te doen voor anderen.",
    },
    questions=(
        TemplateQuestion(
            QuestionKind.SINGLE,
            {
                "en": "What is the main reason you left?",
                "de": "Was ist der Hauptgrund für Ihren Wechsel?",
                "fr": "Quelle est la principale raison de votre départ ?",
                "es": "¿Cuál es el motivo principal de su marcha?",
                "nl": "Wat is de belangrijkste reden dat u vertrok?",
            },
            required=True,
            choices={
                "en": ("Price", "Product", "Service", "Moved to a competitor", "No longer needed"),
                "de": ("Preis", "Produkt", "Service", "Zur Konkurrenz", "Nicht mehr nötig"),
                "fr": ("Prix", "Produit", "Service", "Passé à un concurrent", "Plus nécessaire"),
                "es": (
                    "Precio",
                    "Producto",
                    "Servicio",
                    "Cambio a la competencia",
                    "Ya no lo necesito",
                ),
                "nl": ("Prijs", "Product", "Service", "Naar een concurrent", "Niet meer nodig"),
            },
        ),
        TemplateQuestion(
            QuestionKind.TEXT,
            {
                "en": "Which competitor did you choose, and why?",
                "de": "Für welchen Anbieter haben Sie sich entschieden, und warum?",
                "fr": "Quel concurrent avez-vous choisi, et pourquoi ?",
                "es": "¿Qué competidor eligió y por qué?",
                "nl": "Voor welke concurrent koos u, en waarom?",
            },
            show_if=(0, ShowIfOp.PICKED, "Moved to a competitor"),
        ),
        TemplateQuestion(
            QuestionKind.TEXT,
            {
                "en": "What could we have done to keep you?",
                "de": "Was hätten wir tun können, damit Sie bleiben?",
                "fr": "Qu'aurions-nous pu faire pour vous garder ?",
                "es": "¿Qué podríamos haber hecho para que se quedara?",
                "nl": "Wat hadden we kunnen doen om u te houden?",
            },
        ),
    ),
)

TEMPLATES: dict[str, SurveyTemplate] = {
    t.key: t
    for t in (RELATIONSHIP_NPS, AFTER_SUPPORT, AFTER_PURCHASE, ONBOARDING_CES, LOST_CUSTOMER)
}
