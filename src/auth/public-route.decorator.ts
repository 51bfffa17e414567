import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'residency:public-route';

/** Marks a route that needs no service token (health, readiness, metrics). All others do. */
export const PublicRoute = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
