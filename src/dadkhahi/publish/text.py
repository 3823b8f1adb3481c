"""The memorial's interface text: English in the templates, Persian here.

The site is built, not served, so its few dozen sentences live in one table rather
than in the workspace's gettext catalogue; a missing Persian sentence fails the build
(``KeyError``), it never shows English on a Persian page.
"""

from __future__ import annotations

FA: dict[str, str] = {
    "Memorial of the victims of the 1988 mass executions":
        "یادمان جان‌باختگان اعدام‌های جمعی ۱۳۶۷",
    "SYNTHETIC DATA: every person on this site is invented, for demonstration only.":
        "داده‌های ساختگی: همهٔ افراد این وبگاه ساختگی‌اند و تنها برای نمایش آمده‌اند.",
    "Home": "خانه",
    "Lists": "فهرست‌ها",
    "Search": "جست‌وجو",
    "How many": "چند نفر",
    "Sources": "منابع",
    "About this copy": "دربارهٔ این نسخه",
    "Names": "نام‌ها",
    "Sex": "جنسیت",
    "Year of birth": "سال تولد",
    "Age": "سن",
    "City": "شهر",
    "Province": "استان",
    "Affiliation (as claimed)": "وابستگی (به گفتهٔ منبع)",
    "Prison": "زندان",
    "Date of execution": "تاریخ اعدام",
    "Burial place": "محل دفن",
    "as written": "به همان صورت که نوشته شده",
    "Sources disagree; each value is shown with its sources.":
        "منابع با هم اختلاف دارند؛ هر مقدار با منابع خودش آمده است.",
    "source": "منبع",
    "Reliability of the source": "اعتبار منبع",
    "credibility of the information": "باورپذیری خبر",
    "Send a correction or a missing detail": "فرستادن اصلاح یا اطلاعات ناقص",
    "Families and friends can send corrections and missing details to:":
        "خانواده‌ها و دوستان می‌توانند اصلاحات و اطلاعات ناقص را به این نشانی بفرستند:",
    "the team that published this memorial": "گروهی که این یادمان را منتشر کرده است",
    "Page withdrawn": "صفحهٔ برداشته‌شده",
    "This page was withdrawn at the request of the family.":
        "این صفحه به درخواست خانواده برداشته شده است.",
    "Page address": "نشانی صفحه",
    "Names missing information": "نام‌هایی که اطلاعاتشان ناقص است",
    "Missing": "ناقص",
    "These victims' pages lack a detail the sources published so far do not give. If you "
    "know it, send it with where it comes from to:":
        "در صفحهٔ این جان‌باختگان جزئیاتی نیامده است که منابع منتشرشده تا کنون نمی‌دهند. "
        "اگر آن را می‌دانید، آن را همراه با منبعش به این نشانی بفرستید:",
    "Not known on this page": "آنچه در این صفحه دانسته نیست",
    "This page has moved": "این صفحه جابه‌جا شده است",
    "The records of this page were found to be of the same person as another page, and "
    "were joined there:":
        "روشن شد که داده‌های این صفحه از همان کسی است که صفحهٔ دیگری دارد، "
        "و در آن صفحه یکی شدند:",
    "Under review": "در دست بازبینی",
    "The records of this page changed and are being reviewed before they are published "
    "again.":
        "داده‌های این صفحه تغییر کرده‌اند و پیش از انتشار دوباره بازبینی می‌شوند.",
    "Split from": "جداشده از",
    "these records were once shown on that page, and were found to be of another person.":
        "این داده‌ها زمانی در آن صفحه آمده بودند و روشن شد که از کس دیگری‌اند.",
    "By province": "بر پایهٔ استان",
    "By prison": "بر پایهٔ زندان",
    "By date of execution": "بر پایهٔ تاریخ اعدام",
    "Alphabetical (Persian script)": "الفبایی (خط فارسی)",
    "Alphabetical (Latin spellings)": "الفبایی (املای لاتین)",
    "Unknown": "نامعلوم",
    "Date uncertain (wider than a month)": "تاریخ نامطمئن (بیش از یک ماه)",
    "names": "نام",
    "Documented victims": "جان‌باختگان مستند",
    "documented victims are named on this site, each from sources approved for publication.":
        "جان‌باختهٔ مستند در این وبگاه نام برده شده‌اند و هر کدام از منابعی آمده‌اند "
        "که برای انتشار تأیید شده‌اند.",
    "This is a documented count, not an estimate of the total: many victims are still "
    "unnamed.":
        "این شمار مستند است، نه برآورد کل: نام بسیاری از جان‌باختگان هنوز دانسته نیست.",
    "Documented victims by province": "جان‌باختگان مستند بر پایهٔ استان",
    "Count": "شمار",
    "fewer than {n}": "کمتر از {n}",
    "Counts under 5 are not shown, so that no small group can be singled out: small cells "
    "are counted together.":
        "شمارهای کمتر از ۵ نشان داده نمی‌شوند تا هیچ گروه کوچکی شناسایی نشود: "
        "خانه‌های کوچک با هم شمرده می‌شوند.",
    "Other provinces, counted together": "استان‌های دیگر، با هم شمرده‌شده",
    "Figures published by others": "شمارهایی که دیگران منتشر کرده‌اند",
    "{low} to {high}": "{low} تا {high}",
    "more than {n}": "بیش از {n}",
    "at most {n}": "دست‌بالا {n}",
    "about {n}": "حدود {n}",
    "Estimate of the total": "برآورد شمار کل",
    "estimated in all": "نفر برآورد کل",
    "interval": "بازه",
    "Method": "روش",
    "How it was estimated": "چگونه برآورد شد",
    "Several lists name the victims, each missing some. How often the same people appear on "
    "more than one list shows how many are likely on none of them; the interval is the "
    "range within which the total probably lies, given the lists and their linkage.":
        "چند فهرست نام جان‌باختگان را آورده‌اند و هر کدام برخی را ندارد. این‌که همان افراد "
        "چند بار در بیش از یک فهرست آمده‌اند نشان می‌دهد چند نفر احتمالاً در هیچ فهرستی "
        "نیستند؛ بازه، محدوده‌ای است که شمار کل با این فهرست‌ها و پیوند آن‌ها به احتمال "
        "زیاد در آن است.",
    "Lists used": "فهرست‌های به‌کاررفته",
    "a list not published": "فهرستی که منتشر نشده است",
    "Seed and software": "بذر و نرم‌افزار",
    "No estimate of the total has been released yet.":
        "هنوز برآوردی از شمار کل منتشر نشده است.",
    "These are claims of their sources, shown beside the documented count; they are not "
    "this memorial's own figures.":
        "این‌ها گفته‌های منابع خودشان‌اند و در کنار شمار مستند آمده‌اند؛ شمار خود این "
        "یادمان نیستند.",
    "Every fact on this memorial carries its source. These are all the sources cited.":
        "هر خبری در این یادمان منبع خود را دارد. این‌ها همهٔ منابع یادشده‌اند.",
    "This copy of the memorial": "این نسخه از یادمان",
    "Build number": "شمارهٔ انتشار",
    "Ledger checkpoint (events)": "نقطهٔ وارسی دفتر (رویدادها)",
    "Every file of this site is listed with its SHA-256 hash in manifest.note, signed with "
    "the publication key below. To check a copy (a mirror, a USB stick), run with Python 3:":
        "هر پروندهٔ این وبگاه با درهم‌سازی SHA-256 خود در manifest.note آمده و با کلید "
        "انتشارِ زیر امضا شده است. برای وارسی یک نسخه (آینه یا حافظهٔ USB) با پایتون ۳ "
        "این را اجرا کنید:",
    "Obtain the publication key independently (from the publisher's own channels); the "
    "copy below is a convenience and a forger could replace it.":
        "کلید انتشار را از راهی جداگانه (کانال‌های خود ناشر) به دست آورید؛ رونوشت زیر "
        "تنها برای آسانی است و جاعل می‌تواند آن را عوض کند.",
    "Publication key": "کلید انتشار",
    "Language": "زبان",
    "Main navigation": "ناوبری اصلی",
    "Skip to content": "رفتن به محتوا",
    "Choose a list": "یک فهرست برگزینید",
    "A page for every victim, each fact with its source.":
        "برای هر جان‌باخته یک صفحه، و هر خبر با منبع خودش.",
    "female": "زن",
    "male": "مرد",
    "Names still missing information": "نام‌هایی که هنوز اطلاعاتشان کامل نیست",
    "No date of execution is known for these victims yet.":
        "تاریخ اعدام این جان‌باختگان هنوز دانسته نیست.",
}

LANGUAGE_NAMES = {"fa": "فارسی", "en": "English"}


def translate(lang: str, message: str) -> str:
    """``message`` (English) in ``lang``; a missing Persian sentence is an error."""
    return FA[message] if lang == "fa" else message
