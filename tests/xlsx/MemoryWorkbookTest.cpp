// The in-memory workbook (src/xlsx/MemoryWorkbook.cpp): nothing reaches the file
// system, every path releases its descriptors, errors are sticky and reported,
// text never becomes a formula.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdlib>

#include "support/TestSupport.h"
#include "xlsx/MemoryWorkbook.h"
#include "xlsx/XlsxRenderer.h"
#include "xlsx/XlsxSupport.h"

using namespace passerelle;
using namespace passerelle::testing;
using namespace passerelle::testing::xlsx;

namespace {

int openDescriptors() {
    int n = 0;
    DIR* d = opendir("/proc/self/fd");
    while (d && readdir(d)) ++n;
    if (d) closedir(d);
    return n;
}

// Watches a directory for any file created, written or moved in.
class DirectoryWatch {
public:
    explicit DirectoryWatch(const std::string& dir) {
        _fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        _wd = inotify_add_watch(_fd, dir.c_str(), IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_DELETE);
    }
    ~DirectoryWatch() { ::close(_fd); }
    bool ok() const { return _fd >= 0 && _wd >= 0; }
    int events() {
        alignas(struct inotify_event) char buf[8192];
        int n = 0;
        for (;;) {
            ssize_t len = ::read(_fd, buf, sizeof buf);
            if (len <= 0) return n;
            for (char* p = buf; p < buf + len; p += sizeof(struct inotify_event) + reinterpret_cast<struct inotify_event*>(p)->len) ++n;
        }
    }

private:
    int _fd = -1, _wd = -1;
};

} // namespace

TEST(MemoryWorkbook, NothingTouchesTheFileSystemEvenOnError) {
    // libxlsxwriter would put its part files in TMPDIR: watch a fresh one.
    TempDir tmp;
    ASSERT_EQ(setenv("TMPDIR", tmp.path().c_str(), 1), 0);
    DirectoryWatch watch(tmp.path());
    ASSERT_TRUE(watch.ok());

    EXPECT_FALSE(renderOk("budget-annexe", example("budget-annexe-sarthe-plateformes"), "xlsx").empty());
    EXPECT_FALSE(renderOk("budget-annexe", example("budget-annexe-rouen-pluriannuel"), "xlsx").empty());
    EXPECT_FALSE(renderOk("activite", example("activite-ille-et-vilaine-2016"), "xlsx").empty());
    {
        auto book = passerelle::xlsx::MemoryWorkbook::create({});
        ASSERT_TRUE(book.isOk());
        book.value()->addSheet("Mauvais[nom]");
        EXPECT_FALSE(book.value()->finish().isOk());
    }
    EXPECT_EQ(watch.events(), 0) << "no file created in TMPDIR";
    // The watch does see files (so the zero above means something).
    writeFile(tmp.file("canary"), "x");
    EXPECT_GT(watch.events(), 0);
    unsetenv("TMPDIR");
}

TEST(MemoryWorkbook, NoDescriptorLeftOpenOnAnyPath) {
    const auto data = example("budget-annexe-sarthe-plateformes");
    renderOk("budget-annexe", data, "xlsx"); // warm-up: lazily opened files of the catalog
    const int before = openDescriptors();
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(renderOk("budget-annexe", data, "xlsx").empty());
    // Failure while writing, failure at creation of a sheet, and a workbook dropped without finish().
    {
        auto book = passerelle::xlsx::MemoryWorkbook::create({});
        ASSERT_TRUE(book.isOk());
        passerelle::xlsx::Sheet s = book.value()->addSheet("Feuille");
        s.text(2000000, 0, "hors limites");
        auto r = book.value()->finish();
        ASSERT_FALSE(r.isOk());
        EXPECT_EQ(r.status().errorCode(), "xlsx_failed");
        EXPECT_NE(r.status().message().find("worksheet_write_string"), std::string::npos) << r.status().message();
    }
    {
        auto book = passerelle::xlsx::MemoryWorkbook::create({});
        ASSERT_TRUE(book.isOk());
        book.value()->addSheet("Feuille");
        book.value()->addSheet("Feuille"); // duplicate name
        auto r = book.value()->finish();
        ASSERT_FALSE(r.isOk());
        EXPECT_NE(r.status().message().find("workbook_add_worksheet"), std::string::npos) << r.status().message();
    }
    {
        auto book = passerelle::xlsx::MemoryWorkbook::create({});
        ASSERT_TRUE(book.isOk());
        book.value()->addSheet("Feuille").text(0, 0, "abandonné");
    }
    EXPECT_EQ(openDescriptors(), before);
}

TEST(MemoryWorkbook, ErrorsAreStickyFirstOneWins) {
    auto book = passerelle::xlsx::MemoryWorkbook::create({});
    ASSERT_TRUE(book.isOk());
    passerelle::xlsx::Sheet s = book.value()->addSheet("Feuille");
    s.number(0, 20000, 1.0); // column out of range: the first error
    s.text(2000000, 0, "ignoré");
    auto r = book.value()->finish();
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("worksheet_write_number"), std::string::npos) << r.status().message();
}

TEST(MemoryWorkbook, TextIsNeverAFormula) {
    auto book = passerelle::xlsx::MemoryWorkbook::create({});
    ASSERT_TRUE(book.isOk());
    passerelle::xlsx::Sheet s = book.value()->addSheet("Feuille");
    const std::vector<std::string> texts = {"=1+1", "+1", "-1", "@A1", "=HYPERLINK(\"http://exemple.invalid\")", "=cmd|' /C calc'!A0"};
    for (std::size_t i = 0; i < texts.size(); ++i) s.text(static_cast<int>(i), 0, texts[i]);
    s.formula(0, 1, "=2+2", 4);
    auto bytes = book.value()->finish();
    ASSERT_TRUE(bytes.isOk()) << bytes.status().toString();
    Workbook wb = inspect(bytes.value());
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::string r = "Feuille!" + ref(static_cast<int>(i), 0);
        EXPECT_EQ(wb.type(r), "s") << texts[i];
        EXPECT_EQ(wb.text(r), texts[i]);
    }
    EXPECT_EQ(wb.type("Feuille!B1"), "f") << "a real formula is still a formula";
    EXPECT_DOUBLE_EQ(wb.number("Feuille!B1"), 4);
}

TEST(MemoryWorkbook, UnsupportedFormIsNotFound) {
    auto def = repoCatalog().forms->find("fiche-navette");
    ASSERT_TRUE(def);
    EXPECT_FALSE(passerelle::xlsx::supports("fiche-navette"));
    EXPECT_TRUE(passerelle::xlsx::supports("budget-annexe"));
    EXPECT_TRUE(passerelle::xlsx::supports("activite"));
    auto r = passerelle::xlsx::render(forms::FilledForm{def, new Poco::JSON::Object}, {});
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), Status::Code::NotFound);
    EXPECT_EQ(r.status().errorCode(), "format_unsupported");
}
