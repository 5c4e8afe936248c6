// placeholder, replaced by the tenant service
export {};
