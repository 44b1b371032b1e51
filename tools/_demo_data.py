"""The demo's vocabulary: names, industries, places and conversation templates."""

FIRST_ES = [
    "Ana",
    "José",
    "María",
    "Jesús",
    "Lucía",
    "Álvaro",
    "Sofía",
    "Martín",
    "Inés",
    "Raúl",
    "Begoña",
    "Iñaki",
    "Nuria",
    "Andrés",
    "Mónica",
    "Óscar",
    "Carmen",
    "Rubén",
    "Elena",
    "Íñigo",
    "Pilar",
    "Sergio",
    "Noelia",
    "Ramón",
    "Beatriz",
    "Tomás",
    "Alba",
    "Joaquín",
    "Marta",
    "Adrián",
]
LAST_ES = [
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Alonso",
    "Gutiérrez",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
    "Gil",
    "Ramírez",
    "Serrano",
    "Blanco",
    "Castaño",
    "Ibáñez",
    "Peña",
    "Núñez",
    "Calderón",
]
FIRST_EN = ["James", "Emily", "Oliver", "Charlotte", "Harry", "Sophie", "Jack", "Grace", "Daniel"]
LAST_EN = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Clarke", "Walker"]

# (industry, company name parts, product, unit)
INDUSTRIES = [
    ("hostelería", ["Hotel", "Hostal", "Restaurante", "Café"], "menaje profesional", "lote"),
    ("inmobiliaria", ["Inmobiliaria", "Fincas", "Gestión"], "software de gestión", "licencia"),
    ("construcción", ["Reformas", "Construcciones", "Obras"], "andamios", "unidad"),
    ("salud", ["Clínica", "Farmacia", "Centro Médico"], "material sanitario", "caja"),
    ("educación", ["Academia", "Colegio", "Escuela"], "tabletas", "unidad"),
    ("retail", ["Tienda", "Boutique", "Moda"], "expositores", "unidad"),
    ("logística", ["Transportes", "Logística", "Envíos"], "etiquetadoras", "unidad"),
    ("tecnología", ["Soluciones", "Sistemas", "Digital"], "servidores", "unidad"),
]
PLACES = [
    "Sol",
    "Mar",
    "Norte",
    "Levante",
    "Sierra",
    "Rías",
    "Sur",
    "Plaza Mayor",
    "Albaicín",
    "Triana",
    "Castilla",
    "Cantábrico",
    "Ebro",
    "Guadalquivir",
    "Atlántico",
    "Montaña",
]

ES_SCENARIOS: dict[str, list[tuple[str, list[str]]]] = {
    "enquiry": [
        (
            "inbound",
            [
                "Hola, buenos días. Me gustaría información sobre {product} para {company}.",
                "Buenas! Me pasáis info de {product}? Somos {company} 🙂",
                "Hola, vi vuestra web y me interesa {product}. ¿Tenéis catálogo?",
            ],
        ),
        (
            "outbound",
            [
                "¡Hola {first}! Claro, te envío el catálogo ahora mismo. ¿Cuántas unidades necesitarías?",
                "Buenos días {first}, gracias por escribirnos. ¿Para cuándo lo necesitáis?",
            ],
        ),
        (
            "inbound",
            [
                "Unas {qty} unidades, para antes de fin de mes si puede ser.",
                "Necesitaríamos {qty}, ¿qué plazos de entrega manejáis?",
            ],
        ),
        (
            "outbound",
            [
                "Perfecto, te preparo un presupuesto con entrega en {days} días.",
                "Sin problema, entrega en {days} días laborables. Te llamo mañana y lo vemos.",
            ],
        ),
        ("inbound", ["Genial, muchas gracias!!", "Perfecto, quedo atento.", "Vale, gracias 👍"]),
    ],
    "quote": [
        (
            "outbound",
            [
                "Hola {first}, te adjunto el presupuesto: {qty} {unit}s de {product} por {price} €.",
                "{first}, aquí tienes la oferta: {price} € por {qty} {unit}s, IVA no incluido.",
            ],
        ),
        (
            "inbound",
            [
                "Gracias, lo reviso con mi socio y te digo algo.",
                "Recibido. ¿El transporte está incluido?",
                "Vale, lo miro esta semana.",
            ],
        ),
        (
            "outbound",
            [
                "Sí, el transporte va incluido. Cualquier duda me dices.",
                "El envío es gratuito a partir de 500 €. Quedo a tu disposición.",
            ],
        ),
        (
            "inbound",
            [
                "Todo claro, gracias por la rapidez 😊",
                "Ok, te confirmo el lunes.",
                "Perfecto, me encaja bastante.",
            ],
        ),
    ],
    "negotiation": [
        (
            "outbound",
            [
                "Hola {first}, ¿pudiste revisar la propuesta de {product}?",
                "{first}, ¿cómo lo veis? La oferta de {price} € sigue en pie.",
            ],
        ),
        (
            "inbound",
            [
                "Sí, nos gusta, pero el precio se nos va un poco. ¿Hay margen?",
                "La propuesta está bien pero {competitor} nos ofrece algo más barato.",
                "Nos interesa, aunque necesitaríamos un descuento para cerrarlo.",
            ],
        ),
        (
            "outbound",
            [
                "Puedo ofrecerte un {discount}% de descuento si cerramos este mes.",
                "Si firmamos antes del viernes te aplico un {discount}% y pago a 60 días.",
            ],
        ),
        (
            "inbound",
            [
                "Con el {discount}% nos cuadra mejor. Déjame consultarlo.",
                "Mmm, sigue siendo caro. ¿Podrías llegar al {discount2}%?",
                "Vale, eso ya es otra cosa. Lo hablo con dirección.",
            ],
        ),
        (
            "outbound",
            [
                "Lo consulto y te digo hoy mismo.",
                "Entiendo, déjame ver qué puedo hacer con mi responsable.",
            ],
        ),
    ],
    "price_complaint": [
        (
            "inbound",
            [
                "Hola {first_owner}, acabo de ver la factura y el precio ha subido un {discount}%. No es lo que acordamos.",
                "Me parece carísimo lo que nos habéis cobrado este mes 😡",
                "Oye, el precio de {product} es demasiado caro comparado con {competitor}.",
            ],
        ),
        (
            "outbound",
            [
                "Lo siento mucho {first}, reviso la factura ahora mismo y te digo.",
                "Tienes razón en que ha subido; es por la subida de costes. Déjame ver qué puedo hacer.",
            ],
        ),
        (
            "inbound",
            [
                "Pues espero una solución, porque así no podemos seguir.",
                "Vale, pero necesito que me lo arregléis ya.",
                "No me parece serio, la verdad.",
            ],
        ),
        (
            "outbound",
            [
                "Te aplico un abono del {discount}% en la próxima factura. ¿Te parece bien?",
                "Hemos corregido la factura y respetamos el precio acordado.",
            ],
        ),
    ],
    "delay_complaint": [
        (
            "inbound",
            [
                "El pedido lleva {days} días de retraso y nadie me dice nada. Muy mal servicio.",
                "¿Dónde está mi pedido? Me dijisteis {days} días y todavía nada 😤",
                "Esto es una vergüenza, el envío no ha llegado y tenemos clientes esperando!!",
            ],
        ),
        (
            "outbound",
            [
                "Lo siento muchísimo {first}, lo reviso con logística ahora mismo.",
                "Disculpa las molestias, el transportista ha tenido una incidencia. Te mando el seguimiento.",
            ],
        ),
        (
            "inbound",
            [
                "Vale, pero necesito una fecha concreta.",
                "Espero que no vuelva a pasar.",
                "No es la primera vez que pasa...",
            ],
        ),
        (
            "outbound",
            [
                "Llega mañana antes de las 14h, te lo garantizo.",
                "Mañana lo tienes. Como compensación no te cobramos el envío.",
            ],
        ),
        (
            "inbound",
            [
                "Recibido por fin, gracias por la gestión.",
                "Ok, ya ha llegado. Gracias.",
                "Llegó, pero con una caja dañada. Fatal.",
            ],
        ),
    ],
    "churn_risk": [
        (
            "inbound",
            [
                "Te aviso de que estamos pensando en cambiar de proveedor.",
                "Sinceramente no estamos contentos con el servicio últimamente.",
                "{competitor} nos ha hecho una oferta y la estamos valorando.",
            ],
        ),
        (
            "outbound",
            [
                "Vaya, lo siento. ¿Qué podemos mejorar? Me gustaría que lo hablásemos.",
                "Entiendo. ¿Te viene bien una llamada mañana para verlo?",
            ],
        ),
        (
            "inbound",
            [
                "Los retrasos y las subidas de precio, básicamente.",
                "El soporte tarda demasiado en responder.",
                "No sé, ya os iré diciendo.",
            ],
        ),
    ],
    "won": [
        (
            "inbound",
            [
                "Ok, adelante con el pedido de {qty} {unit}s. ¿Os hago transferencia?",
                "Nos lo quedamos! Mándame la proforma.",
                "Decidido, trabajamos con vosotros 🎉",
            ],
        ),
        (
            "outbound",
            [
                "¡Genial {first}! Te envío la proforma y el número de cuenta.",
                "Muchas gracias por la confianza, {first}. Ahora te paso la documentación.",
            ],
        ),
        (
            "inbound",
            [
                "Pago hecho. Muchas gracias por todo, un trato excelente.",
                "Transferencia enviada 👍 Encantados.",
            ],
        ),
    ],
    "lost": [
        (
            "inbound",
            [
                "Al final nos vamos con {competitor}, su oferta era más barata. Gracias igualmente.",
                "Hemos decidido no seguir adelante de momento, el presupuesto no nos llega.",
                "Lo siento pero hemos elegido otro proveedor.",
            ],
        ),
        (
            "outbound",
            [
                "Entendido {first}, gracias por avisar. Aquí estamos para lo que necesites.",
                "Una pena. Si cambia algo, no dudes en escribirme.",
            ],
        ),
    ],
}

EN_SCENARIOS: dict[str, list[tuple[str, list[str]]]] = {
    "enquiry": [
        (
            "inbound",
            [
                "Hi, could you send me pricing for {product}? We're {company}.",
                "Hello! Interested in {product} for our team, do you ship to the UK?",
            ],
        ),
        ("outbound", ["Hi {first}, sure! How many units would you need?"]),
        (
            "inbound",
            ["Around {qty} units, ideally within {days} days.", "{qty} to start with, thanks!"],
        ),
        ("outbound", ["Great, I'll send a quote today."]),
    ],
    "negotiation": [
        ("outbound", ["Hi {first}, did you get a chance to review the quote of {price} EUR?"]),
        (
            "inbound",
            [
                "Yes, looks good but the price is a bit high for us. Any room?",
                "We like it, but {competitor} came in cheaper.",
            ],
        ),
        ("outbound", ["I can do {discount}% off if we sign this month."]),
        (
            "inbound",
            ["That works much better, let me check with my boss.", "Still too expensive tbh."],
        ),
    ],
    "price_complaint": [
        (
            "inbound",
            [
                "The invoice is way higher than what we agreed. Not happy at all 😠",
                "Your prices went up {discount}% without notice, that's really disappointing.",
            ],
        ),
        ("outbound", ["Sorry about that {first}, I'm checking the invoice right now."]),
        ("inbound", ["Please sort it out asap.", "OK, waiting for the corrected invoice."]),
        ("outbound", ["Done: we credited the difference on your next invoice."]),
    ],
    "delay_complaint": [
        (
            "inbound",
            ["Our order is {days} days late. This is unacceptable!!", "Where is our delivery??"],
        ),
        ("outbound", ["So sorry {first}, the carrier had an issue. It arrives tomorrow."]),
        ("inbound", ["Received, thanks for sorting it.", "Arrived, but damaged. Terrible."]),
    ],
    "won": [
        ("inbound", ["Let's go ahead with {qty} units, send the invoice please.", "Deal! 🎉"]),
        ("outbound", ["Fantastic, thanks {first}! Invoice on its way."]),
        ("inbound", ["Paid. Great service, thanks a lot!"]),
    ],
    "lost": [
        ("inbound", ["We decided to go with {competitor}, they were cheaper. Thanks anyway."]),
        ("outbound", ["Understood, thanks for letting me know {first}."]),
    ],
}

# Which scenario chain a conversation follows, and how it ends.
PLOTS: list[tuple[list[str], str, float]] = [
    (["enquiry", "quote"], "open", 0.5),
    (["enquiry", "quote", "negotiation"], "open", 0.55),
    (["quote", "negotiation", "won"], "won", 0.9),
    (["enquiry", "quote", "won"], "won", 0.95),
    (["quote", "negotiation", "lost"], "lost", 0.1),
    (["price_complaint"], "open", 0.35),
    (["price_complaint", "won"], "won", 0.7),
    (["price_complaint", "lost"], "lost", 0.05),
    (["delay_complaint"], "open", 0.4),
    (["delay_complaint", "churn_risk"], "open", 0.2),
    (["churn_risk"], "open", 0.25),
    (["enquiry", "lost"], "lost", 0.15),
]
COMPETITORS = ["Provexa", "Suministros Iberia", "DistriMax", "TecnoPlus", "Acme Supplies"]
CHANNELS = ["whatsapp"] * 6 + ["email"] * 3 + ["sms"]
