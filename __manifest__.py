{
    "name": "After-Sales Service",
    "summary": "Run appliance after-sales service: service centers, technicians, "
    "work orders from request to customer approval",
    "version": "19.0.1.0.0",
    "category": "Services/After-Sales",
    "website": "https://github.com/aftersales/aftersales",
    "author": "aftersales contributors",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": [
        "mail",
        "contacts",
        "resource",
        "product",
        "stock",
        "portal",
        "rating",
        "phone_validation",
    ],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/aftersales_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/aftersales_service_type_data.xml",
        "wizard/aftersales_order_reason_views.xml",
        "views/aftersales_service_type_views.xml",
        "views/aftersales_order_views.xml",
        "views/aftersales_center_views.xml",
        "views/aftersales_technician_views.xml",
        "views/aftersales_approval_views.xml",
        "views/aftersales_menus.xml",
    ],
    "demo": [
        "demo/aftersales_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "aftersales/static/tests/tours/*.js",
        ],
    },
}
