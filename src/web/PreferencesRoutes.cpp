#include "web/PreferencesRoutes.h"

namespace passerelle::web {

void addPreferencesRoutes(http::Router& router, const WebApp& app,
                          std::shared_ptr<const service::NotificationPreferences> preferences, bool mailEnabled) {
    auto show = [&app, preferences, mailEnabled](Page& page, bool done) {
        auto kinds = preferences->of(page.caller.userId);
        if (!kinds.isOk()) return app.errorPage(page, kinds.status());
        mstch::array list;
        for (const auto& [kind, on] : kinds.value())
            list.push_back(mstch::map{{"id", std::string(kind.id)}, {"label", std::string(kind.label)},
                                      {"hint", std::string(kind.hint)}, {"on", on}});
        const std::string email = preferences->addressOf(page.caller.userId);
        mstch::map ctx{{"kinds", list}, {"done", done}, {"mailEnabled", mailEnabled}, {"email", email}};
        return app.render(page, "preferences", ctx, "Mes notifications");
    };
    app.page(router, "GET", "/preferences", [show](Page& page) { return show(page, page.query.get("fait") == "1"); });
    app.page(router, "POST", "/preferences", [&app, preferences](Page& page) {
        Status st = preferences->set(page.caller.userId, page.caller.organisationId, page.form.all("notifications"));
        if (!st.isOk()) return app.errorPage(page, st);
        return app.redirect("/preferences?fait=1");
    });
}

} // namespace passerelle::web
